/// A znode path that has passed ZooKeeper's path rules (see ``init(validating:sequential:)``).
///
/// Equality, hashing and ordering compare the UTF-8 bytes, never Swift's canonical equivalence:
/// ZooKeeper treats `/é` (U+00E9) and `/é` (U+0065 U+0301) as two different nodes, so this type
/// must too, or the embedded store would merge nodes that a real ensemble keeps apart. Byte order is
/// also code point order, which for the Basic Multilingual Plane is Java's `String.compareTo` order.
public struct ZNodePath: Sendable {
    /// The most UTF-8 bytes a path may have. ZooKeeper itself only bounds a path by
    /// `jute.maxbuffer`; zkgate caps it so that a path always fits in a URL, a log line and a
    /// header. A sequential create's final path may be up to 11 bytes longer than its prefix.
    public static let maxLength = 4096

    /// The path as given, for example `/app/config`.
    public let string: String

    /// `true` when the path is only valid with a sequence suffix appended, such as `/queue/`
    /// or `/a/.`: it names a prefix for a sequential create, never a node.
    public let isSequentialPrefix: Bool

    /// The root, `/`.
    public static let root = ZNodePath(unchecked: "/")

    /// Validates `string` against ZooKeeper's `PathUtils.validatePath` rules, plus zkgate's
    /// length limit and a ban on characters outside the Basic Multilingual Plane.
    ///
    /// A path starts with `/`, has no empty, `.` or `..` segment, does not end with `/` (except
    /// the root), and contains no NUL, U+0001–U+001F, U+007F–U+009F, U+D800–U+F8FF or
    /// U+FFF0–U+FFFF. Characters above U+FFFF are rejected because ZooKeeper's server writes them
    /// as CESU-8, so they would not read back as written (Java sees them as surrogates, which its
    /// own rule already bans).
    ///
    /// - Parameter sequential: validate as the prefix of a sequential create, as ZooKeeper does by
    ///   checking `path + "1"`: the path may then end in `/`, or in a `.` or `..` segment, since
    ///   the sequence number completes the last name.
    /// - Throws: ``CoordinationError/invalidPath(_:reason:)`` with a reason that names the
    ///   offending character (as `U+XXXX`) or segment and its index in Unicode scalars.
    public init(validating string: String, sequential: Bool = false) throws(CoordinationError) {
        isSequentialPrefix = try Self.validate(string, sequential: sequential)
        self.string = string
    }

    init(unchecked string: String, isSequentialPrefix: Bool = false) {
        self.string = string
        self.isSequentialPrefix = isSequentialPrefix
    }
}

extension ZNodePath: Hashable, Comparable {
    public static func == (lhs: ZNodePath, rhs: ZNodePath) -> Bool {
        Bytewise.equal(lhs.string, rhs.string)
    }

    public func hash(into hasher: inout Hasher) {
        Bytewise.hash(string, into: &hasher)
    }

    public static func < (lhs: ZNodePath, rhs: ZNodePath) -> Bool {
        Bytewise.less(lhs.string, rhs.string)
    }
}

extension ZNodePath: CustomStringConvertible {
    public var description: String { string }
}
