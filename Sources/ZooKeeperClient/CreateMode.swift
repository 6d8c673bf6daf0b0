/// CreateRequest flags (zs/CreateMode.java).
public enum CreateMode: Int32, Sendable, CaseIterable {
    case persistent = 0
    case ephemeral = 1
    case persistentSequential = 2
    case ephemeralSequential = 3
    /// May vanish when its last child goes: on NONODE, recreate.
    case container = 4
    case persistentWithTTL = 5
    case persistentSequentialWithTTL = 6

    public var isEphemeral: Bool { self == .ephemeral || self == .ephemeralSequential }
    public var isSequential: Bool {
        self == .persistentSequential || self == .ephemeralSequential || self == .persistentSequentialWithTTL
    }
    public var isTTL: Bool { self == .persistentWithTTL || self == .persistentSequentialWithTTL }

    /// The op Java sends for this mode: createTTL for TTL modes, createContainer for containers,
    /// else create2.
    public var opCode: OpCode {
        switch self {
        case .persistentWithTTL, .persistentSequentialWithTTL: .createTTL
        case .container: .createContainer
        default: .create2
        }
    }
}
