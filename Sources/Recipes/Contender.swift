import Coordination

/// A contender node of a lock or an election, in Apache Curator's layout: an
/// ephemeral-sequential child named `_c_<uuid>-<marker><sequence>`, where the marker is
/// `lock-` (InterProcessMutex) or `latch-` (LeaderLatch). Contenders are ordered by the
/// sequence after the marker, and the first one holds the lock or leads.
///
/// zkgate writes a tag (the hex of "zkgate") and the owning device session into the uuid,
/// `_c_7a6b6761-7465-<random 4>-<session 4>-<session 12>-`, so it can find a session's
/// contender on either backend: on ZooKeeper, the node's `ephemeralOwner` is the gateway's own
/// ZooKeeper session, not the device's. Curator's contenders have random uuids and no session.
public struct Contender: Hashable, Sendable {
    /// The child's name.
    public var name: String
    /// The sequence ZooKeeper appended.
    public var sequence: Int64
    /// The device session whose contender this is, when zkgate created it.
    public var session: Int64?

    /// Parses a child name; nil when it is not a contender for `marker`.
    public init?(name: String, marker: String) {
        // Curator takes the text after the marker's last occurrence, so a uuid that happened
        // to contain the marker does not confuse it, nor us.
        let bytes = Array(name.utf8)
        let needle = Array(marker.utf8)
        guard !needle.isEmpty, bytes.count > needle.count,
            let start = stride(from: bytes.count - needle.count, through: 0, by: -1).first(where: {
                bytes[$0..<($0 + needle.count)].elementsEqual(needle)
            })
        else { return nil }
        let digits = bytes[(start + needle.count)...]
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2D }),
            let sequence = Int64(String(decoding: digits, as: UTF8.self))
        else { return nil }
        self.name = name
        self.sequence = sequence
        session = Self.session(in: name)
    }

    /// The name prefix for a new contender of `session` (ZooKeeper appends the sequence).
    public static func prefix(session: Int64, marker: String, random: UInt16) -> String {
        let s = SessionText.format(session)
        return tag + hex(UInt64(random), digits: 4) + "-" + s.prefix(4) + "-" + s.dropFirst(4) + "-" + marker
    }

    /// Orders children the way Curator does, keeping only contenders.
    public static func queue(_ children: [String], marker: String) -> [Contender] {
        children.compactMap { Contender(name: $0, marker: marker) }.sorted {
            ($0.sequence, $0.name) < ($1.sequence, $1.name)
        }
    }

    private static let tag = "_c_7a6b6761-7465-"

    private static func session(in name: String) -> Int64? {
        // The tag, 4 random hex digits and `-`, then 4 + `-` + 12 hex digits of the session.
        let bytes = Array(name.utf8)
        let start = tag.utf8.count + 5
        guard bytes.count > start + 17, bytes.starts(with: tag.utf8), bytes[start - 1] == 0x2D,
            bytes[start + 4] == 0x2D, bytes[start + 17] == 0x2D
        else { return nil }
        let digits = bytes[start..<(start + 4)] + bytes[(start + 5)..<(start + 17)]
        guard let value = UInt64(String(decoding: digits, as: UTF8.self), radix: 16) else { return nil }
        return Int64(bitPattern: value)
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
