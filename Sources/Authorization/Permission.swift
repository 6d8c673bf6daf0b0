/// What a grant allows on its paths. `admin` on a path implies every permission on it.
public enum Permission: String, CaseIterable, Sendable, CustomStringConvertible {
    case read, write, lock, elect, register, admin

    /// The position in `allCases`, which the compiled rules index by.
    var index: Int {
        switch self {
        case .read: 0
        case .write: 1
        case .lock: 2
        case .elect: 3
        case .register: 4
        case .admin: 5
        }
    }

    /// The permission spelled exactly `text` (byte for byte), or nil.
    init?(spelled text: String) {
        guard let permission = Self.allCases.first(where: { Bytewise.equal($0.rawValue, text) }) else { return nil }
        self = permission
    }

    public var description: String { rawValue }
}
