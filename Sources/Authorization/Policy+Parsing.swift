import JSON

extension Policy {
    /// Reads a policy document:
    ///
    ///     {"tokens": [{"id": "ops", "sha256": "<64 hex digits>"}],
    ///      "grants": [{"who": ["token:ops"], "allow": ["admin"], "paths": ["/**"]}]}
    ///
    /// `tokens` and `grants` may be left out (none).
    ///
    /// - Throws: `PolicyError` naming the field: bytes that are not JSON; a top level that is
    ///   not an object; a member of the wrong type; an unknown member (a misspelt `allows`
    ///   must not quietly change what is granted); a missing or empty `who`, `allow` or
    ///   `paths`; a bad entry in one of them (see `Grantee`, `Permission`, `PathPattern`); a
    ///   `token:` entry naming no token of `tokens`; a token id that is not a safe principal
    ///   name, or given twice; a digest that is not 64 hex digits, or given twice.
    public init(json bytes: [UInt8]) throws(PolicyError) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw PolicyError(field: "", reason: "not JSON: \(error)")
        }
        let top = try Self.object(document, at: "", members: ["tokens", "grants"])
        var tokens: [Token] = []
        if let value = Self.member(top, "tokens") {
            for (i, entry) in try Self.array(value, at: "tokens").enumerated() {
                tokens.append(try Self.token(entry, at: "tokens[\(i)]", after: tokens))
            }
        }
        var grants: [Grant] = []
        if let value = Self.member(top, "grants") {
            for (i, entry) in try Self.array(value, at: "grants").enumerated() {
                grants.append(try Self.grant(entry, at: "grants[\(i)]", tokens: tokens))
            }
        }
        self.tokens = tokens
        self.grants = grants
    }

    private static func token(_ value: JSONValue, at field: String, after earlier: [Token]) throws(PolicyError) -> Token {
        let object = try object(value, at: field, members: ["id", "sha256"])
        let id = try string(required(object, "id", in: field), at: field + ".id")
        if let reason = Principal.nameProblem(id) {
            throw PolicyError(field: field + ".id", reason: PrincipalError(kind: .token, name: id, reason: reason).description)
        }
        if let k = earlier.firstIndex(where: { Bytewise.equal($0.id, id) }) {
            throw PolicyError(field: field + ".id", reason: "token id \(Bytewise.quoted(id)) is also tokens[\(k)]")
        }
        let hex = try string(required(object, "sha256", in: field), at: field + ".sha256")
        guard let digest = digest(hex) else {
            throw PolicyError(field: field + ".sha256", reason: "expected 64 hex digits (a SHA-256 digest)")
        }
        // A token matching two ids would make the principal depend on the order of the list.
        if let k = earlier.firstIndex(where: { $0.sha256 == digest }) {
            throw PolicyError(field: field + ".sha256", reason: "the same digest as tokens[\(k)]")
        }
        return Token(id: id, sha256: digest)
    }

    private static func grant(_ value: JSONValue, at field: String, tokens: [Token]) throws(PolicyError) -> Grant {
        let object = try object(value, at: field, members: ["who", "allow", "paths"])
        let who = try nonEmptyStrings(required(object, "who", in: field), at: field + ".who") { (text, entry) throws(PolicyError) in
            let grantee: Grantee
            do throws(PolicyProblem) { grantee = try Grantee(parsing: text) } catch { throw PolicyError(field: entry, reason: error.reason) }
            // Tokens are only those of the policy: a grant to any other id could never apply.
            if case .named(.token, let id) = grantee, !tokens.contains(where: { Bytewise.equal($0.id, id) }) {
                throw PolicyError(field: entry, reason: "no token \(Bytewise.quoted(id)) in tokens")
            }
            return grantee
        }
        let allow = try nonEmptyStrings(required(object, "allow", in: field), at: field + ".allow") { (text, entry) throws(PolicyError) in
            guard let permission = Permission(spelled: text) else {
                let known = Permission.allCases.map(\.rawValue).joined(separator: ", ")
                throw PolicyError(field: entry, reason: "unknown permission \(Bytewise.quoted(text)) (expected \(known))")
            }
            return permission
        }
        let paths = try nonEmptyStrings(required(object, "paths", in: field), at: field + ".paths") { (text, entry) throws(PolicyError) in
            do throws(PolicyProblem) { return try PathPattern(parsing: text) } catch { throw PolicyError(field: entry, reason: error.reason) }
        }
        return Grant(who: who, allow: allow, paths: paths)
    }

    /// The 32 bytes written as 64 hex digits (either case), or nil.
    static func digest(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let high = hexValue(digits[i]), let low = hexValue(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

// The readers of JSON shapes: each names the field it was given in its errors.
extension Policy {
    /// `value` as an object whose members are all among `members` (compared byte for byte).
    private static func object(_ value: JSONValue, at field: String, members: [StaticString]) throws(PolicyError) -> JSONObject {
        guard case .object(let object) = value else {
            throw PolicyError(field: field, reason: "expected an object, found \(value.typeName)")
        }
        for (name, _) in object where !members.contains(where: { Bytewise.equal(name, $0) }) {
            let expected = members.map { "\($0)" }.joined(separator: ", ")
            throw PolicyError(field: (field.isEmpty ? "" : field + ".") + Bytewise.shown(name),
                              reason: "unknown field (expected \(expected))")
        }
        return object
    }

    private static func member(_ object: JSONObject, _ name: StaticString) -> JSONValue? {
        object.members.first { Bytewise.equal($0.name, name) }?.value
    }

    private static func required(_ object: JSONObject, _ name: StaticString, in field: String) throws(PolicyError) -> JSONValue {
        guard let value = member(object, name) else { throw PolicyError(field: field + ".\(name)", reason: "missing") }
        return value
    }

    private static func array(_ value: JSONValue, at field: String) throws(PolicyError) -> [JSONValue] {
        guard case .array(let elements) = value else {
            throw PolicyError(field: field, reason: "expected an array, found \(value.typeName)")
        }
        return elements
    }

    private static func string(_ value: JSONValue, at field: String) throws(PolicyError) -> String {
        guard case .string(let text) = value else {
            throw PolicyError(field: field, reason: "expected a string, found \(value.typeName)")
        }
        return text
    }

    /// A non-empty array of strings, each read by `read(text, field)`.
    private static func nonEmptyStrings<T>(
        _ value: JSONValue, at field: String, _ read: (String, String) throws(PolicyError) -> T
    ) throws(PolicyError) -> [T] {
        let elements = try array(value, at: field)
        guard !elements.isEmpty else { throw PolicyError(field: field, reason: "must not be empty") }
        var result: [T] = []
        for (i, element) in elements.enumerated() {
            let entry = "\(field)[\(i)]"
            result.append(try read(try string(element, at: entry), entry))
        }
        return result
    }
}
