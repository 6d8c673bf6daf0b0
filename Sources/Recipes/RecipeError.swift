import Coordination

/// Why a recipe call failed, beyond the coordination errors it passes on.
public enum RecipeError: Error, Sendable {
    /// A backend failure, as the node API reports it.
    case coordination(CoordinationError)
    /// The wait ended before the lock was granted. The caller's contender was removed; the
    /// answer names the holder and the position the caller had.
    case lockHeld(lock: String, holder: QueueEntry?, position: Int)
    /// A release or resignation named a token that holds nothing here.
    case notHolder(name: String, token: Int64)
    /// The token holds, but for a session of another principal.
    case notPermitted(name: String)
    /// `If-Fencing-Token` names a token that no longer holds its lock.
    case staleFencingToken(lock: String, token: Int64)
    /// The caller's contender vanished while it waited: its session ended, or the node was
    /// deleted by someone else.
    case contenderLost(name: String)
    /// A configuration layer holds something other than a JSON object.
    case layerNotObject(layer: ZNodePath, detail: String)
    /// A recipe name that cannot be a path below its root.
    case invalidName(String, reason: String)
}

extension CoordinationError {
    var recipe: RecipeError { .coordination(self) }
}
