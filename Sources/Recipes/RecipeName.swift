import Coordination

/// Recipe names (`/v1/locks/{name...}` and the like) are one or more path segments below the
/// recipe's root.
enum RecipeName {
    static func path(_ name: String, under root: ZNodePath) throws(RecipeError) -> ZNodePath {
        guard !name.isEmpty else { throw .invalidName(name, reason: "the name is empty") }
        do {
            return try ZNodePath(validating: (root.isRoot ? "" : root.string) + "/" + name)
        } catch {
            throw .invalidName(name, reason: error.message)
        }
    }
}
