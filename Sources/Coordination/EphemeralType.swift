/// What kind of node a stored `ephemeralOwner` denotes: ZooKeeper's `EphemeralType`, with its
/// encoding, so that snapshots and a real ensemble's stored stats agree bit for bit.
///
/// ZooKeeper overloads one 64-bit field: 0 is a plain persistent node; `Long.MIN_VALUE`
/// (`0x8000000000000000`) a container; a high byte of `0xFF`, two zero bytes and a 40-bit value a
/// TTL node (`0xFF00000000000000 | ttl`, with extended types enabled); anything else the id of the
/// owning session. Session ids must therefore avoid those patterns (see
/// ``isValidSessionID(_:)``); ZooKeeper ensures it by capping server ids at 254.
public enum EphemeralType: Hashable, Sendable {
    /// A persistent node (`VOID`).
    case persistent
    /// An ephemeral node owned by a session (`NORMAL`).
    case session(Int64)
    /// A container node.
    case container
    /// A TTL node with its TTL in milliseconds.
    case ttl(Int64)

    /// The largest TTL, 2^40 − 1 ms (about 34.8 years): the 40 bits left in the encoding.
    public static let maxTTL: Int64 = (1 << 40) - 1

    /// ZooKeeper's `CONTAINER_EPHEMERAL_OWNER`.
    public static let containerOwner = Int64.min

    static let extendedMask = Int64(bitPattern: 0xFF00_0000_0000_0000)
    static let reservedBitsMask: Int64 = 0x00FF_FF00_0000_0000

    /// Decodes a stored `ephemeralOwner`, or returns `nil` for an extended type ZooKeeper does
    /// not define (a high byte of `0xFF` with non-zero feature bits).
    public init?(ephemeralOwner: Int64) {
        if ephemeralOwner & Self.extendedMask == Self.extendedMask {
            guard ephemeralOwner & Self.reservedBitsMask == 0 else { return nil }
            self = .ttl(ephemeralOwner & ~(Self.extendedMask | Self.reservedBitsMask))
        } else if ephemeralOwner == Self.containerOwner {
            self = .container
        } else if ephemeralOwner == 0 {
            self = .persistent
        } else {
            self = .session(ephemeralOwner)
        }
    }

    /// The stored `ephemeralOwner` value.
    public var ephemeralOwner: Int64 {
        switch self {
        case .persistent: 0
        case .session(let id): id
        case .container: Self.containerOwner
        case .ttl(let ttl): Self.extendedMask | ttl
        }
    }

    /// The value a client sees in ``Stat/ephemeralOwner``: the session for an ephemeral node,
    /// otherwise 0 (ZooKeeper's `DataNode.getClientEphemeralOwner`).
    public var clientEphemeralOwner: Int64 {
        if case .session(let id) = self { return id }
        return 0
    }

    /// `true` if `id` can name a session: it must not be 0, `Long.MIN_VALUE`, or have a high byte
    /// of `0xFF`, since those encode the other node types.
    public static func isValidSessionID(_ id: Int64) -> Bool {
        id != 0 && id != containerOwner && id & extendedMask != extendedMask
    }
}
