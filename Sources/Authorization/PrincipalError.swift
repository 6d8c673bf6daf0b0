/// Why a principal was refused: its name is unsafe inside a path, or the parts do not fit
/// together. The server answers such a request 401 with `description`.
public struct PrincipalError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case emptyName
        /// The name is `.` or `..`.
        case dotName
        /// `/`, `*`, `{`, `}` or a control character.
        case forbiddenCharacter(Unicode.Scalar)
        case anonymousWithName
        case alternativeNamesWithoutCertificate
        /// Text given to `Principal.init(_:)` is not `kind:name` of a known kind.
        case unknownKind
    }

    /// The kind asked for; nil when the text named no known kind.
    public let kind: Principal.Kind?
    /// The name as received (it may hold the very characters that got it refused).
    public let name: String
    public let reason: Reason

    public init(kind: Principal.Kind?, name: String, reason: Reason) {
        self.kind = kind
        self.name = name
        self.reason = reason
    }

    /// The name, quoted so that control characters show as escapes, and why it was refused.
    public var description: String {
        (kind.map { "\($0.rawValue) name " } ?? "principal ") + Bytewise.quoted(name) + " refused: " + explanation
    }

    /// Why, without the name.
    var explanation: String {
        switch reason {
        case .emptyName: "it is empty"
        case .dotName: "\".\" and \"..\" name no node"
        case .forbiddenCharacter(let scalar):
            "it contains " + (Bytewise.isControl(scalar) ? "a control character" : Bytewise.quoted(String(scalar)))
        case .anonymousWithName: "anonymous has no name"
        case .alternativeNamesWithoutCertificate: "only a certificate has alternative names"
        case .unknownKind: "expected cert:NAME, token:NAME, jwt:NAME or anonymous"
        }
    }

    public static func == (lhs: PrincipalError, rhs: PrincipalError) -> Bool {
        lhs.kind == rhs.kind && Bytewise.equal(lhs.name, rhs.name) && lhs.reason == rhs.reason
    }
}
