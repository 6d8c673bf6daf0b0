/// The gateway's access policy (`--auth-policy FILE`): bearer tokens, and grants of
/// permissions on paths to principals. Everything no grant allows is denied; grants only add.
///
/// Deciding goes through `rules(for:)`, which compiles the grants that apply to one principal;
/// the server builds those once per principal and keeps them.
public struct Policy: Sendable {
    /// A bearer token: its id names the principal (`token:<id>`), its SHA-256 digest
    /// identifies it (the policy never holds the token itself).
    public struct Token: Equatable, Sendable {
        public let id: String
        /// 32 bytes.
        public let sha256: [UInt8]

        public static func == (lhs: Token, rhs: Token) -> Bool {
            Bytewise.equal(lhs.id, rhs.id) && lhs.sha256 == rhs.sha256
        }
    }

    public let tokens: [Token]
    public let grants: [Grant]

    /// The token whose digest is `sha256`, or nil. Compares every byte of every token, so the
    /// time taken says nothing about how close a wrong digest came.
    public func token(matchingSHA256 sha256: [UInt8]) -> Token? {
        guard sha256.count == 32 else { return nil }
        var found: Token?
        for token in tokens {
            var difference: UInt8 = 0
            for i in 0..<32 { difference |= token.sha256[i] ^ sha256[i] }
            if difference == 0 { found = token }
        }
        return found
    }

    /// The grants that apply to `principal`, with its name in place of `{name}`, compiled for
    /// `PrincipalRules.decide`. Costs time and memory in proportion to those grants' paths:
    /// build once per principal, not per request.
    public func rules(for principal: Principal) -> PrincipalRules {
        PrincipalRules(grants: grants, principal: principal)
    }
}
