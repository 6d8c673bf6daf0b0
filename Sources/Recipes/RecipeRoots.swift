import Coordination

/// Where each recipe keeps its nodes. Point Curator's recipes at the same paths to have them
/// coordinate with zkgate's.
public struct RecipeRoots: Sendable {
    /// InterProcessMutex paths: `<locks>/<name>`.
    public var locks: ZNodePath
    /// LeaderLatch paths: `<elections>/<name>`.
    public var elections: ZNodePath
    /// ServiceDiscovery's base path.
    public var services: ZNodePath
    /// The root configuration layer.
    public var config: ZNodePath

    public init(locks: ZNodePath? = nil, elections: ZNodePath? = nil, services: ZNodePath? = nil, config: ZNodePath? = nil) {
        self.locks = locks ?? .constant("/locks")
        self.elections = elections ?? .constant("/elections")
        self.services = services ?? .constant("/services")
        self.config = config ?? .constant("/config")
    }
}

extension ZNodePath {
    /// A path known to be valid.
    static func constant(_ text: String) -> ZNodePath {
        do { return try ZNodePath(validating: text) } catch { preconditionFailure("invalid constant path \(text)") }
    }
}
