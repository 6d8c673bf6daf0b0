import Authorization
import JSON
import Testing

@Suite("Policy documents")
struct PolicyParsingTests {
    static let digest = String(repeating: "0123456789abcdef", count: 4)

    /// The document of the product's issue.
    static let example = """
        {
          "tokens": [ {"id": "ops", "sha256": "\(digest)"} ],
          "grants": [
            {"who": ["token:ops"],          "allow": ["admin"],         "paths": ["/**"]},
            {"who": ["cert:*", "jwt:*"],    "allow": ["read"],          "paths": ["/config/**"]},
            {"who": ["cert:*", "jwt:*"],    "allow": ["read", "write"], "paths": ["/devices/{name}/**"]},
            {"who": ["cert:*", "jwt:*"],    "allow": ["lock"],          "paths": ["/locks/printers/*"]},
            {"who": ["cert:*", "jwt:*"],    "allow": ["register"],      "paths": ["/services/api/{name}"]},
            {"who": ["anonymous"],          "allow": ["read"],          "paths": ["/public/**"]}
          ]
        }
        """

    @Test func readsTheExample() throws {
        let policy = try Policy(json: Array(Self.example.utf8))
        #expect(policy.tokens.count == 1)
        #expect(policy.tokens[0].id == "ops")
        #expect(policy.tokens[0].sha256 == Array(repeating: [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF] as [UInt8], count: 4).flatMap { $0 })
        #expect(policy.grants.count == 6)
        #expect(policy.grants[0].who == [.named(.token, "ops")])
        #expect(policy.grants[0].allow == [.admin])
        #expect(policy.grants[1].who == [.anyName(.cert), .anyName(.jwt)])
        #expect(policy.grants[2].allow == [.read, .write])
        #expect(policy.grants[2].paths.map(\.text) == ["/devices/{name}/**"])
        #expect(policy.grants[2].paths[0].coversSubtree)
        #expect(policy.grants[2].paths[0].usesName)
        #expect(!policy.grants[3].paths[0].coversSubtree)
        #expect(policy.grants[5].who == [.anonymous])
        #expect(policy.grants[1].description
            == #"{"who":["cert:*","jwt:*"],"allow":["read"],"paths":["/config/**"]}"#)
    }

    @Test(arguments: ["{}", #"{"tokens":[]}"#, #"{"grants":[]}"#, #" { "tokens" : [ ] , "grants" : [ ] } "#])
    func tokensAndGrantsAreOptional(text: String) throws {
        let policy = try Policy(json: Array(text.utf8))
        #expect(policy.tokens.isEmpty)
        #expect(policy.grants.isEmpty)
    }

    @Test func digestsAreThirtyTwoBytesOfEitherCase() throws {
        let upper = Self.digest.uppercased()
        let policy = try Policy(json: Array(#"{"tokens":[{"id":"ops","sha256":"\#(upper)"}]}"#.utf8))
        #expect(policy.tokens[0].sha256.count == 32)
        #expect(policy.tokens[0].sha256.prefix(3) == [0x01, 0x23, 0x45])
        #expect(policy.token(matchingSHA256: policy.tokens[0].sha256)?.id == "ops")
        var other = policy.tokens[0].sha256
        other[31] ^= 1
        #expect(policy.token(matchingSHA256: other) == nil)
        #expect(policy.token(matchingSHA256: Array(other.prefix(31))) == nil)
        #expect(policy.token(matchingSHA256: []) == nil)
    }

    /// A document with `grant` as grants[2] (two harmless grants before it) and `tokens`.
    static func document(grant: String, tokens: String = "[]") -> String {
        #"{"tokens":\#(tokens),"grants":[{"who":["cert:*"],"allow":["read"],"paths":["/a"]},"#
            + #"{"who":["anonymous"],"allow":["read"],"paths":["/b/**"]},\#(grant)]}"#
    }

    static func grant(who: String = #"["cert:*"]"#, allow: String = #"["read"]"#, paths: String = #"["/x"]"#) -> String {
        document(grant: #"{"who":\#(who),"allow":\#(allow),"paths":\#(paths)}"#)
    }

    static func token(_ entry: String) -> String { #"{"tokens":[\#(entry)]}"# }

    static let sha = String(repeating: "ab", count: 32)
    static let otherSHA = String(repeating: "cd", count: 32)

    @Test(arguments: [
        // The document
        ("not json", "policy: not JSON: "),
        ("", "policy: not JSON: "),
        ("[]", "policy: expected an object, found array"),
        ("\"grants\"", "policy: expected an object, found string"),
        (#"{"grant":[]}"#, "grant: unknown field (expected tokens, grants)"),
        (#"{"grants":[],"Tokens":[]}"#, "Tokens: unknown field"),
        (#"{"grants":{}}"#, "grants: expected an array, found object"),
        (#"{"grants":null}"#, "grants: expected an array, found null"),
        (#"{"tokens":null}"#, "tokens: expected an array, found null"),
        (#"{"grants":[1]}"#, "grants[0]: expected an object, found number"),
        (#"{"grants":[{"who":["cert:*"],"allow":["read"],"paths":["/a"]},[]]}"#, "grants[1]: expected an object, found array"),
        // A grant's members
        (document(grant: #"{"who":["cert:*"],"allows":["read"],"paths":["/x"]}"#), "grants[2].allows: unknown field (expected who, allow, paths)"),
        (document(grant: #"{"who":["cert:*"],"allow":["read"],"path":["/x"]}"#), "grants[2].path: unknown field"),
        (document(grant: #"{"who":["cert:*"],"allow":["read"],"paths":["/x"],"deny":["/y"]}"#), "grants[2].deny: unknown field"),
        (document(grant: #"{"who":["cert:*"],"paths":["/x"]}"#), "grants[2].allow: missing"),
        (document(grant: #"{"allow":["read"],"paths":["/x"]}"#), "grants[2].who: missing"),
        (document(grant: #"{"who":["cert:*"],"allow":["read"]}"#), "grants[2].paths: missing"),
        (grant(who: "[]"), "grants[2].who: must not be empty"),
        (grant(allow: "[]"), "grants[2].allow: must not be empty"),
        (grant(paths: "[]"), "grants[2].paths: must not be empty"),
        (grant(who: #""cert:*""#), "grants[2].who: expected an array, found string"),
        (grant(allow: #"{"read":true}"#), "grants[2].allow: expected an array, found object"),
        (grant(paths: #""/x""#), "grants[2].paths: expected an array, found string"),
        (grant(who: "[1]"), "grants[2].who[0]: expected a string, found number"),
        (grant(allow: #"["read",null]"#), "grants[2].allow[1]: expected a string, found null"),
        (grant(paths: #"["/x",["/y"]]"#), "grants[2].paths[1]: expected a string, found array"),
        // who
        (grant(who: #"["user:bob"]"#), #"grants[2].who[0]: unknown kind "user" (expected cert, token, jwt, san or anonymous)"#),
        (grant(who: #"["cert:*","Cert:*"]"#), #"grants[2].who[1]: unknown kind "Cert""#),
        (grant(who: #"["cert"]"#), "grants[2].who[0]: expected kind:name, kind:* or anonymous"),
        (grant(who: #"["*"]"#), "grants[2].who[0]: expected kind:name, kind:* or anonymous"),
        (grant(who: #"["anonymous:x"]"#), "grants[2].who[0]: anonymous takes no name"),
        (grant(who: #"["san:*"]"#), "grants[2].who[0]: san: matches one subjectAltName exactly"),
        (grant(who: #"["san:*.example.com"]"#), "grants[2].who[0]: san: matches one subjectAltName exactly"),
        (grant(who: #"["san:"]"#), "grants[2].who[0]: san: needs a subjectAltName"),
        (grant(who: #"["cert:a/b"]"#), #"grants[2].who[0]: no principal is named "cert:a/b": it contains "/""#),
        (grant(who: #"["jwt:.."]"#), #"grants[2].who[0]: no principal is named "jwt:..""#),
        (grant(who: #"["cert:"]"#), "grants[2].who[0]: no principal is named \"cert:\": it is empty"),
        (grant(who: #"["cert:a*"]"#), #"grants[2].who[0]: no principal is named "cert:a*""#),
        (grant(who: #"["token:nobody"]"#), #"grants[2].who[0]: no token "nobody" in tokens"#),
        // allow
        (grant(allow: #"["delete"]"#), #"grants[2].allow[0]: unknown permission "delete" (expected read, write, lock, elect, register, admin)"#),
        (grant(allow: #"["read","Write"]"#), #"grants[2].allow[1]: unknown permission "Write""#),
        (grant(allow: #"["*"]"#), #"grants[2].allow[0]: unknown permission "*""#),
        // paths
        (grant(paths: #"["/a/**/b"]"#), #"grants[2].paths[0]: "**" may only end a path"#),
        (grant(paths: #"["/x","/**/b"]"#), #"grants[2].paths[1]: "**" may only end a path"#),
        (grant(paths: #"["a/b"]"#), #"grants[2].paths[0]: a path must start with "/""#),
        (grant(paths: #"[""]"#), #"grants[2].paths[0]: a path must start with "/""#),
        (grant(paths: #"["**"]"#), #"grants[2].paths[0]: a path must start with "/""#),
        (grant(paths: #"["/a/"]"#), #"grants[2].paths[0]: a path must not end with "/""#),
        (grant(paths: #"["//"]"#), #"grants[2].paths[0]: a path must not end with "/""#),
        (grant(paths: #"["/a//b"]"#), #"grants[2].paths[0]: an empty segment ("//")"#),
        (grant(paths: #"["/a/../b"]"#), #"grants[2].paths[0]: "." and ".." segments are not allowed"#),
        (grant(paths: #"["/a/."]"#), #"grants[2].paths[0]: "." and ".." segments are not allowed"#),
        (grant(paths: #"["/a*"]"#), #"grants[2].paths[0]: "*" must be a whole segment, not part of "a*""#),
        (grant(paths: #"["/x/*{name}"]"#), #"grants[2].paths[0]: "*" must be a whole segment, not part of "*{name}""#),
        (grant(paths: #"["/**x"]"#), #"grants[2].paths[0]: "*" must be a whole segment, not part of "**x""#),
        (grant(paths: #"["/a/***"]"#), #"grants[2].paths[0]: "*" must be a whole segment, not part of "***""#),
        (grant(paths: #"["/{nam}"]"#), #"grants[2].paths[0]: "{" and "}" only as "{name}", not as in "{nam}""#),
        (grant(paths: #"["/d/{name"]"#), #"grants[2].paths[0]: "{" and "}" only as "{name}""#),
        (grant(paths: #"["/d/{name}}"]"#), #"grants[2].paths[0]: "{" and "}" only as "{name}""#),
        (grant(paths: #"["/d/{{name}"]"#), #"grants[2].paths[0]: "{" and "}" only as "{name}""#),
        (grant(paths: #"["/d/{NAME}"]"#), #"grants[2].paths[0]: "{" and "}" only as "{name}""#),
        (grant(paths: #"["/d/a\u0001"]"#), #"grants[2].paths[0]: a control character in segment "a\u0001""#),
        (grant(paths: #"["/d/a\u0085"]"#), #"grants[2].paths[0]: a control character in segment "a\u0085""#),
        (grant(paths: "[\"" + String(repeating: "/a", count: 257) + "\"]"), "grants[2].paths[0]: more than 256 segments"),
        // tokens
        (token(#"{"id":"ops","sha256":"abc"}"#), "tokens[0].sha256: expected 64 hex digits"),
        (token(#"{"id":"ops","sha256":"\#(String(repeating: "g", count: 64))"}"#), "tokens[0].sha256: expected 64 hex digits"),
        (token(#"{"id":"ops","sha256":"\#(sha)0"}"#), "tokens[0].sha256: expected 64 hex digits"),
        (token(#"{"id":"ops","sha256":" \#(sha.dropFirst())"}"#), "tokens[0].sha256: expected 64 hex digits"),
        (token(#"{"id":"ops","sha256":1}"#), "tokens[0].sha256: expected a string, found number"),
        (token(#"{"id":"ops"}"#), "tokens[0].sha256: missing"),
        (token(#"{"sha256":"\#(sha)"}"#), "tokens[0].id: missing"),
        (token(#"{"id":"ops","sha256":"\#(sha)","token":"secret"}"#), "tokens[0].token: unknown field (expected id, sha256)"),
        (token(#"{"id":"a/b","sha256":"\#(sha)"}"#), #"tokens[0].id: token name "a/b" refused: it contains "/""#),
        (token(#"{"id":"","sha256":"\#(sha)"}"#), #"tokens[0].id: token name "" refused: it is empty"#),
        (token(#"{"id":"..","sha256":"\#(sha)"}"#), #"tokens[0].id: token name ".." refused"#),
        (token(#"{"id":"ops","sha256":"\#(sha)"},{"id":"ops","sha256":"\#(otherSHA)"}"#), #"tokens[1].id: token id "ops" is also tokens[0]"#),
        (token(#"{"id":"ops","sha256":"\#(sha)"},{"id":"ci","sha256":"\#(sha.uppercased())"}"#), "tokens[1].sha256: the same digest as tokens[0]"),
        (#"{"tokens":{}}"#, "tokens: expected an array, found object"),
        (#"{"tokens":["ops"]}"#, "tokens[0]: expected an object, found string"),
        // Names of unknown fields are shown escaped.
        ("{\"gr\\u0000ants\":[]}", #""gr\u0000ants": unknown field"#),
    ])
    func refusesNamingTheField(text: String, message: String) {
        do {
            let policy = try Policy(json: Array(text.utf8))
            Issue.record("accepted \(text): \(policy.grants.count) grants")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)\n  expected: \(message)")
        }
    }

    @Test func errorsNameTheirField() throws {
        let error = #expect(throws: PolicyError.self) { try Policy(json: Array(Self.grant(paths: #"["/a/**/b"]"#).utf8)) }
        #expect(error?.field == "grants[2].paths[0]")
        #expect(error?.reason == #""**" may only end a path"#)
        #expect(error?.description == #"grants[2].paths[0]: "**" may only end a path"#)
    }

    @Test func aTokenGrantNeedsItsToken() throws {
        let tokens = #"[{"id":"ci","sha256":"\#(Self.sha)"}]"#
        let policy = try Policy(json: Array(Self.document(grant: #"{"who":["token:ci"],"allow":["write"],"paths":["/ci/**"]}"#, tokens: tokens).utf8))
        #expect(policy.grants[2].who == [.named(.token, "ci")])
    }

    @Test func granteesOfEveryForm() throws {
        let policy = try Policy(json: Array(Self.grant(who: #"["anonymous","cert:dev1","jwt:*","token:*","san:dev1.example.com","jwt:a:b"]"#).utf8))
        #expect(policy.grants[2].who == [
            .anonymous, .named(.cert, "dev1"), .anyName(.jwt), .anyName(.token), .alternativeName("dev1.example.com"),
            .named(.jwt, "a:b"),
        ])
        #expect(policy.grants[2].who.map(\.description) == ["anonymous", "cert:dev1", "jwt:*", "token:*", "san:dev1.example.com", "jwt:a:b"])
    }

    @Test(arguments: ["/", "/**", "/a", "/a/**", "/*", "/*/**", "/{name}", "/d/dev-{name}-x/**", "/d/{name}{name}", "/a/*/b/*",
                      "/%2F", "/a b/é", "/...", "/a.b/.c"])
    func acceptedPatterns(pattern: String) throws {
        let policy = try Policy(json: Array(Self.grant(paths: "[" + JSONWriter.quoted(pattern) + "]").utf8))
        #expect(policy.grants[2].paths[0].text == pattern)
    }
}
