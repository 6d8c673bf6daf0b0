/// Who sends a request, as the server authenticated it: the subject of a client certificate,
/// a bearer token of the policy, the subject of a verified JWT, or nobody.
///
/// A principal's name is substituted for `{name}` in the policy's path patterns, so names that
/// could change a path's shape are refused when the principal is made (see `init(kind:name:
/// alternativeNames:)`), before any substitution.
///
/// Names compare byte for byte, not by Swift's canonical equivalence: two names that only look
/// alike are two principals, and a cache of rules keyed by principal keeps them apart.
public struct Principal: Hashable, Sendable, CustomStringConvertible {
    /// How the principal was authenticated; the part before `:` in `cert:dev1`.
    public enum Kind: String, CaseIterable, Sendable {
        case cert, token, jwt, anonymous
    }

    public let kind: Kind
    /// A certificate's CN, a token's id, a JWT's `sub`; empty for `anonymous`.
    public let name: String
    /// A certificate's subjectAltNames, which `san:` entries of a policy match exactly; empty
    /// for the other kinds.
    public let alternativeNames: [String]

    /// A principal whose name is safe inside a znode path.
    ///
    /// - Throws: `PrincipalError` (the server answers 401 with it) when `name` is empty, `.` or
    ///   `..`, or contains `/`, `*`, `{`, `}` or a control character (C0, DEL or C1); when
    ///   `kind` is `.anonymous` and `name` is not empty; when `alternativeNames` is not empty
    ///   for a kind other than `.cert`.
    public init(kind: Kind, name: String, alternativeNames: [String] = []) throws(PrincipalError) {
        if kind == .anonymous {
            guard name.isEmpty else { throw PrincipalError(kind: kind, name: name, reason: .anonymousWithName) }
        } else if let reason = Self.nameProblem(name) {
            throw PrincipalError(kind: kind, name: name, reason: reason)
        }
        guard kind == .cert || alternativeNames.isEmpty else {
            throw PrincipalError(kind: kind, name: name, reason: .alternativeNamesWithoutCertificate)
        }
        self.kind = kind
        self.name = name
        self.alternativeNames = alternativeNames
    }

    /// The principal written as `description` writes it: `cert:dev1`, `token:ops`, `jwt:alice`
    /// or `anonymous` (for tools and tests; a certificate's alternative names are not part of it).
    ///
    /// - Throws: `PrincipalError`: `.unknownKind` when the text is not `kind:name` of a known
    ///   kind, else as `init(kind:name:alternativeNames:)`.
    public init(_ text: String) throws(PrincipalError) {
        if Bytewise.equal(text, "anonymous") {
            self = .anonymous
            return
        }
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")),
              let kind = Kind.allCases.first(where: { Bytewise.equal($0.rawValue, String(text[..<colon])) }),
              kind != .anonymous
        else { throw PrincipalError(kind: nil, name: text, reason: .unknownKind) }
        try self.init(kind: kind, name: String(text[text.utf8.index(after: colon)...]))
    }

    private init(unchecked kind: Kind) {
        self.kind = kind
        name = ""
        alternativeNames = []
    }

    /// The principal of a request that presented no credentials.
    public static let anonymous = Principal(unchecked: .anonymous)

    public var description: String { kind == .anonymous ? "anonymous" : "\(kind.rawValue):\(name)" }

    public static func == (lhs: Principal, rhs: Principal) -> Bool {
        lhs.kind == rhs.kind && Bytewise.equal(lhs.name, rhs.name)
            && lhs.alternativeNames.elementsEqual(rhs.alternativeNames, by: Bytewise.equal)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        Bytewise.hash(name, into: &hasher)
        for alternativeName in alternativeNames { Bytewise.hash(alternativeName, into: &hasher) }
    }
}
