import Authorization
import Testing

@Suite("Principals and the safety of their names")
struct PrincipalTests {
    @Test(arguments: ["cert:dev1", "jwt:alice@example.com", "token:ops", "cert:dev 1", "cert:é", "cert:...", "cert:a.b",
                      "jwt:a:b", "cert:%2F", "cert:\u{A0}"])
    func safeNamesAreAccepted(text: String) throws {
        let principal = try Principal(text)
        #expect(principal.description == text)
    }

    @Test(arguments: [
        ("cert:a/b", PrincipalError.Reason.forbiddenCharacter("/")),
        ("cert:/", .forbiddenCharacter("/")),
        ("jwt:..", .dotName),
        ("jwt:.", .dotName),
        ("cert:*", .forbiddenCharacter("*")),
        ("cert:a*", .forbiddenCharacter("*")),
        ("token:", .emptyName),
        ("cert:", .emptyName),
        ("cert:{name}", .forbiddenCharacter("{")),
        ("cert:a}b", .forbiddenCharacter("}")),
        ("cert:a\u{0}b", .forbiddenCharacter("\u{0}")),
        ("cert:\n", .forbiddenCharacter("\n")),
        ("jwt:a\tb", .forbiddenCharacter("\t")),
        ("cert:\u{1F}", .forbiddenCharacter("\u{1F}")),
        ("cert:\u{7F}", .forbiddenCharacter("\u{7F}")),
        ("cert:\u{85}", .forbiddenCharacter("\u{85}")),
        ("cert:\u{9F}", .forbiddenCharacter("\u{9F}")),
        ("anonymous:x", .unknownKind),
        ("user:bob", .unknownKind),
        ("cert", .unknownKind),
        ("", .unknownKind),
        ("CERT:dev1", .unknownKind),
    ])
    func unsafeNamesAreRefused(text: String, reason: PrincipalError.Reason) {
        #expect(throws: PrincipalError.self) { try Principal(text) }
        do {
            _ = try Principal(text)
        } catch {
            #expect(error.reason == reason, "\(error)")
        }
    }

    @Test func refusalsAreTypedAndSayWhy() {
        #expect(throws: PrincipalError(kind: .cert, name: "a/b", reason: .forbiddenCharacter("/"))) {
            try Principal(kind: .cert, name: "a/b")
        }
        let error = PrincipalError(kind: .cert, name: "a\u{0}\nb", reason: .forbiddenCharacter("\u{0}"))
        // Control characters come back escaped: the name reaches a 401 body and a log line.
        #expect(error.description == #"cert name "a\u0000\u000ab" refused: it contains a control character"#)
        #expect(PrincipalError(kind: .jwt, name: "..", reason: .dotName).description
            == #"jwt name ".." refused: "." and ".." name no node"#)
        #expect(PrincipalError(kind: .cert, name: "x*", reason: .forbiddenCharacter("*")).description
            == #"cert name "x*" refused: it contains "*""#)
    }

    @Test func kindsAndParts() throws {
        #expect(throws: PrincipalError(kind: .anonymous, name: "x", reason: .anonymousWithName)) {
            try Principal(kind: .anonymous, name: "x")
        }
        #expect(throws: PrincipalError(kind: .jwt, name: "a", reason: .alternativeNamesWithoutCertificate)) {
            try Principal(kind: .jwt, name: "a", alternativeNames: ["a.example"])
        }
        #expect(try Principal(kind: .anonymous, name: "") == .anonymous)
        #expect(try Principal("anonymous") == .anonymous)
        #expect(Principal.anonymous.description == "anonymous")
        #expect(Principal.anonymous.name.isEmpty)
        let device = try Principal(kind: .cert, name: "dev1", alternativeNames: ["dev1.example.com", "spiffe://x/y"])
        #expect(device.description == "cert:dev1")
        #expect(device.alternativeNames == ["dev1.example.com", "spiffe://x/y"])
        #expect(device != (try Principal(kind: .cert, name: "dev1")))
    }

    /// Canonically equivalent names are distinct principals: a cache of rules keyed by
    /// principal must not hand one the other's `{name}` paths.
    @Test func namesCompareByBytes() throws {
        let composed = try Principal(kind: .cert, name: "caf\u{E9}")
        let decomposed = try Principal(kind: .cert, name: "cafe\u{301}")
        #expect(composed.name == decomposed.name)   // Swift's String equality says they match
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(try Principal(kind: .cert, name: "dev1") == (try Principal("cert:dev1")))
        #expect(try Principal(kind: .cert, name: "dev1") != (try Principal("jwt:dev1")))
    }
}
