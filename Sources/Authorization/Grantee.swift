/// One entry of a grant's `who`: the principals the grant is for.
public enum Grantee: Equatable, Sendable, CustomStringConvertible {
    /// `anonymous`: requests without credentials.
    case anonymous
    /// `cert:dev1`, `token:ops`, `jwt:alice`: one principal.
    case named(Principal.Kind, String)
    /// `cert:*`, `token:*`, `jwt:*`: every principal of the kind.
    case anyName(Principal.Kind)
    /// `san:dev1.example.com`: every certificate with that subjectAltName, exactly.
    case alternativeName(String)

    public func matches(_ principal: Principal) -> Bool {
        switch self {
        case .anonymous: principal.kind == .anonymous
        case .named(let kind, let name): principal.kind == kind && Bytewise.equal(principal.name, name)
        case .anyName(let kind): principal.kind == kind
        case .alternativeName(let name):
            principal.kind == .cert && principal.alternativeNames.contains { Bytewise.equal($0, name) }
        }
    }

    public var description: String {
        switch self {
        case .anonymous: "anonymous"
        case .named(let kind, let name): "\(kind.rawValue):\(name)"
        case .anyName(let kind): "\(kind.rawValue):*"
        case .alternativeName(let name): "san:\(name)"
        }
    }

    // The description is unambiguous (a name holds no `*`, and kinds hold no `:`), and compares
    // by bytes as principals do.
    public static func == (lhs: Grantee, rhs: Grantee) -> Bool { Bytewise.equal(lhs.description, rhs.description) }
}

extension Grantee {
    /// The entry written as `text`.
    ///
    /// - Throws: the reason, for `PolicyError`: not `kind:name`, `kind:*` or `anonymous`; an
    ///   unknown kind; a name no principal can have (see `Principal.nameProblem`); a `san:`
    ///   entry that is empty or holds `*` (it matches one name exactly, never a glob) or a
    ///   control character.
    init(parsing text: String) throws(PolicyProblem) {
        if Bytewise.equal(text, "anonymous") {
            self = .anonymous
            return
        }
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw PolicyProblem("expected kind:name, kind:* or anonymous, not \(Bytewise.quoted(text))")
        }
        let kindText = String(text[..<colon])
        let name = String(text[text.utf8.index(after: colon)...])
        if Bytewise.equal(kindText, "san") {
            guard !name.isEmpty else { throw PolicyProblem("san: needs a subjectAltName") }
            guard !name.unicodeScalars.contains("*") else {
                throw PolicyProblem("san: matches one subjectAltName exactly; \"*\" is not allowed in \(Bytewise.quoted(text))")
            }
            guard !name.unicodeScalars.contains(where: Bytewise.isControl) else {
                throw PolicyProblem("a control character in \(Bytewise.quoted(text))")
            }
            self = .alternativeName(name)
            return
        }
        guard let kind = Principal.Kind.allCases.first(where: { Bytewise.equal($0.rawValue, kindText) }) else {
            throw PolicyProblem("unknown kind \(Bytewise.quoted(kindText)) (expected cert, token, jwt, san or anonymous)")
        }
        guard kind != .anonymous else { throw PolicyProblem("anonymous takes no name: write \"anonymous\"") }
        if Bytewise.equal(name, "*") {
            self = .anyName(kind)
            return
        }
        if let reason = Principal.nameProblem(name) {
            throw PolicyProblem("no principal is named \(Bytewise.quoted(text)): "
                + PrincipalError(kind: kind, name: name, reason: reason).explanation)
        }
        self = .named(kind, name)
    }
}
