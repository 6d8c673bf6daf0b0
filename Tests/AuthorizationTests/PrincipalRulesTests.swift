import Authorization
import Testing

@Suite("Decisions of compiled rules")
struct PrincipalRulesTests {
    static let sha = String(repeating: "ab", count: 32)

    /// The issue's policy (grants 0 to 5) and grants for the edge cases after it.
    static let policy: Policy = {
        let text = """
            {
              "tokens": [ {"id": "ops", "sha256": "\(sha)"} ],
              "grants": [
                {"who": ["token:ops"],          "allow": ["admin"],         "paths": ["/**"]},
                {"who": ["cert:*", "jwt:*"],    "allow": ["read"],          "paths": ["/config/**"]},
                {"who": ["cert:*", "jwt:*"],    "allow": ["read", "write"], "paths": ["/devices/{name}/**"]},
                {"who": ["cert:*", "jwt:*"],    "allow": ["lock"],          "paths": ["/locks/printers/*"]},
                {"who": ["cert:*", "jwt:*"],    "allow": ["register"],      "paths": ["/services/api/{name}"]},
                {"who": ["anonymous"],          "allow": ["read"],          "paths": ["/public/**"]},
                {"who": ["cert:dev1"],          "allow": ["elect"],         "paths": ["/elections/e1"]},
                {"who": ["san:dev2.example.com"], "allow": ["write"],       "paths": ["/shared/dev2-area/**"]},
                {"who": ["cert:*"],             "allow": ["read"],          "paths": ["/prefix/dev-{name}/status"]},
                {"who": ["jwt:*"],              "allow": ["read"],          "paths": ["/"]},
                {"who": ["anonymous", "cert:*"], "allow": ["read"],         "paths": ["/anon/{name}/**", "/anon2/{name}"]},
                {"who": ["jwt:*"],              "allow": ["elect"],         "paths": ["/devices/*"]},
                {"who": ["cert:boss"],          "allow": ["admin"],         "paths": ["/devices/**"]},
                {"who": ["cert:*"],             "allow": ["write"],         "paths": ["/config/app/*/flags", "/config/app/x/flags"]},
                {"who": ["cert:dev1"],          "allow": ["read", "write"], "paths": ["/devices/dev1/**"]},
                {"who": ["cert:*"],             "allow": ["lock"],          "paths": ["/w/*/*/**"]},
                {"who": ["cert:dev1"],          "allow": ["lock"],          "paths": ["/w/a/b"]}
              ]
            }
            """
        return try! Policy(json: Array(text.utf8))
    }()

    static func decide(_ who: String, _ permission: Permission, _ path: String) throws -> Decision {
        policy.rules(for: try Principal(who)).decide(permission, path: path)
    }

    @Test(arguments: [
        // admin implies every permission, on every path under its pattern
        ("token:ops", Permission.read, "/", 0 as Int?),
        ("token:ops", .register, "/any/deep/path", 0),
        ("token:ops", .admin, "/x", 0),
        ("token:ops", .write, "/devices/dev1", 0),
        ("cert:boss", .write, "/devices/dev1/state", 12),
        ("cert:boss", .write, "/devices/boss/state", 2),
        ("cert:boss", .lock, "/devices/dev1/state", 12),
        ("cert:boss", .elect, "/devices", 12),
        ("cert:boss", .read, "/config/x", 1),
        ("cert:boss", .write, "/config/x", nil),
        // a trailing /** matches the node and everything below, no sibling sharing a prefix
        ("cert:dev1", .read, "/config", 1),
        ("cert:dev1", .read, "/config/a/b/c", 1),
        ("cert:dev1", .read, "/configuration", nil),
        ("cert:dev1", .read, "/conf", nil),
        ("cert:dev1", .write, "/config/a", nil),
        // {name} is the principal's name
        ("cert:dev1", .write, "/devices/dev1", 2),
        ("cert:dev1", .write, "/devices/dev1/state/x", 2),
        ("cert:dev1", .write, "/devices/dev2/state", nil),
        ("cert:dev1", .read, "/devices", nil),
        ("jwt:dev1", .write, "/devices/dev1/a", 2),
        ("token:ops", .read, "/devices/ops", 0),
        ("cert:a", .read, "/devices/a", 2),
        ("cert:a", .read, "/devices/ab", nil),
        ("cert:a", .read, "/devices/a/b", 2),
        ("cert:ab", .read, "/devices/a", nil),
        ("cert:dev1", .read, "/prefix/dev-dev1/status", 8),
        ("cert:dev1", .read, "/prefix/dev-dev2/status", nil),
        ("cert:dev1", .read, "/prefix/dev1/status", nil),
        ("cert:dev1", .read, "/prefix/dev-dev1", nil),
        ("cert:dev1", .read, "/prefix/dev-dev1/status/x", nil),
        ("cert:dev1", .register, "/services/api/dev1", 4),
        ("cert:dev1", .register, "/services/api/dev2", nil),
        ("cert:dev1", .register, "/services/api/dev1/x", nil),
        ("cert:dev1", .register, "/services/api", nil),
        // * matches exactly one whole segment
        ("cert:dev1", .lock, "/locks/printers/p1", 3),
        ("cert:dev1", .lock, "/locks/printers/*", 3),
        ("cert:dev1", .lock, "/locks/printers", nil),
        ("cert:dev1", .lock, "/locks/printers/p1/x", nil),
        ("cert:dev1", .read, "/locks/printers/p1", nil),
        ("jwt:bob", .elect, "/devices/x", 11),
        ("jwt:bob", .elect, "/devices", nil),
        ("jwt:bob", .elect, "/devices/x/y", nil),
        ("cert:dev1", .write, "/config/app/x/flags", 13),
        ("cert:dev1", .write, "/config/app/y/flags", 13),
        ("cert:dev1", .write, "/config/app/y/flag", nil),
        ("cert:dev1", .write, "/config/app/flags", nil),
        ("cert:dev1", .lock, "/w/a/b", 15),
        ("cert:dev1", .lock, "/w/a/b/c/d", 15),
        ("cert:dev1", .lock, "/w/a", nil),
        ("cert:dev2", .lock, "/w/a/b", 15),
        // the first grant that allows it is the one named, whichever branch of the trie has it
        ("cert:dev1", .read, "/devices/dev1/x", 2),
        ("cert:dev1", .elect, "/elections/e1", 6),
        // kind:* and exact names
        ("cert:dev2", .elect, "/elections/e1", nil),
        ("jwt:dev1", .elect, "/elections/e1", nil),
        ("token:ops", .elect, "/elections/e1", 0),
        // the root
        ("jwt:bob", .read, "/", 9),
        ("jwt:bob", .read, "/x", nil),
        ("jwt:bob", .write, "/", nil),
        ("cert:dev1", .read, "/", nil),
        // anonymous: only its own grants, and never a {name} pattern
        ("anonymous", .read, "/public", 5),
        ("anonymous", .read, "/public/x/y", 5),
        ("anonymous", .write, "/public/x", nil),
        ("anonymous", .read, "/config/x", nil),
        ("anonymous", .read, "/anon", nil),
        ("anonymous", .read, "/anon/x", nil),
        ("anonymous", .read, "/anon2", nil),
        ("anonymous", .read, "/anon2/", nil),
        ("cert:dev1", .read, "/anon/dev1/x", 10),
        ("cert:dev1", .read, "/anon2/dev1", 10),
        ("cert:dev1", .read, "/public/x", nil),
        // paths that are not normalized are denied, even under /**
        ("token:ops", .read, "/devices/dev1/../dev2", nil),
        ("token:ops", .read, "/devices/dev1/", nil),
        ("token:ops", .read, "//", nil),
        ("token:ops", .read, "/a//b", nil),
        ("token:ops", .read, "/.", nil),
        ("token:ops", .read, "/..", nil),
        ("token:ops", .read, "/a/./b", nil),
        ("token:ops", .read, "", nil),
        ("token:ops", .read, "devices", nil),
        ("token:ops", .read, "a/", nil),
        ("cert:dev1", .write, "/devices/dev1/../dev2", nil),
        ("cert:dev1", .write, "/devices/dev1/./x", nil),
        ("cert:dev1", .write, "/devices/dev1/x/", nil),
        ("cert:dev1", .write, "/devices//dev1", nil),
        // nothing is decoded: a percent-encoded slash is part of one segment's name
        ("cert:dev1", .write, "/devices/dev1%2F..%2Fdev2", nil),
        ("cert:dev1", .write, "/devices/dev1/%2E%2E", 2),
        ("token:ops", .read, "/...", 0),
        ("token:ops", .read, "/.a/..b", 0),
    ])
    func decides(who: String, permission: Permission, path: String, grant: Int?) throws {
        let decision = try Self.decide(who, permission, path)
        #expect(decision == (grant.map { .allowed(grant: $0) } ?? .denied))
        #expect(decision.isAllowed == (grant != nil))
    }

    @Test func alternativeNames() throws {
        let withName = try Principal(kind: .cert, name: "x", alternativeNames: ["dev9.example.com", "dev2.example.com"])
        let without = try Principal(kind: .cert, name: "x", alternativeNames: ["dev2.example.org"])
        let asCommonName = try Principal(kind: .cert, name: "dev2.example.com")
        let asSubject = try Principal(kind: .jwt, name: "dev2.example.com")
        #expect(Self.policy.rules(for: withName).decide(.write, path: "/shared/dev2-area/f") == .allowed(grant: 7))
        #expect(Self.policy.rules(for: withName).decide(.write, path: "/shared/dev2-area") == .allowed(grant: 7))
        #expect(Self.policy.rules(for: without).decide(.write, path: "/shared/dev2-area/f") == .denied)
        #expect(Self.policy.rules(for: asCommonName).decide(.write, path: "/shared/dev2-area/f") == .denied)
        #expect(Self.policy.rules(for: asSubject).decide(.write, path: "/shared/dev2-area/f") == .denied)
    }

    @Test func administrators() throws {
        #expect(Self.policy.rules(for: try Principal("token:ops")).isAdministrator)
        #expect(!Self.policy.rules(for: try Principal("cert:boss")).isAdministrator)
        #expect(!Self.policy.rules(for: try Principal("cert:dev1")).isAdministrator)
        #expect(!Self.policy.rules(for: .anonymous).isAdministrator)
        // admin on the root node alone is not admin on everything
        let rootOnly = try Policy(json: Array(#"{"grants":[{"who":["cert:*"],"allow":["admin"],"paths":["/"]}]}"#.utf8))
        #expect(!rootOnly.rules(for: try Principal("cert:a")).isAdministrator)
        #expect(rootOnly.rules(for: try Principal("cert:a")).decide(.write, path: "/") == .allowed(grant: 0))
        #expect(rootOnly.rules(for: try Principal("cert:a")).decide(.write, path: "/a") == .denied)
    }

    @Test func anEmptyPolicyDeniesEverything() throws {
        let policy = try Policy(json: Array("{}".utf8))
        for who in ["cert:a", "jwt:b", "token:c", "anonymous"] {
            let rules = policy.rules(for: try Principal(who))
            for permission in Permission.allCases {
                for path in ["/", "/a", "/a/b/c"] { #expect(rules.decide(permission, path: path) == .denied) }
            }
            #expect(!rules.isAdministrator)
        }
    }

    @Test func everythingUnderTheRoot() throws {
        let policy = try Policy(json: Array(#"{"grants":[{"who":["jwt:*"],"allow":["write"],"paths":["/**"]}]}"#.utf8))
        let rules = policy.rules(for: try Principal("jwt:x"))
        for path in ["/", "/a", "/a/b/c/d/e/f/g/h/i/j", "/" + String(repeating: "x", count: 10_000)] {
            #expect(rules.decide(.write, path: path) == .allowed(grant: 0))
        }
        #expect(rules.decide(.read, path: "/a") == .denied)
        #expect(rules.decide(.write, path: "/a/b/../c") == .denied)
    }

    /// Names that are canonically equivalent but spelt differently are different znodes.
    @Test func segmentsCompareByBytes() throws {
        let text = #"{"grants":[{"who":["cert:*"],"allow":["read"],"paths":["/caf\u00e9/**"]},"#
            + #"{"who":["cert:*"],"allow":["write"],"paths":["/cafe\u0301/**", "/d/{name}"]}]}"#
        let policy = try Policy(json: Array(text.utf8))
        let rules = policy.rules(for: try Principal("cert:caf\u{E9}"))
        #expect(rules.decide(.read, path: "/caf\u{E9}/x") == .allowed(grant: 0))
        #expect(rules.decide(.read, path: "/cafe\u{301}/x") == .denied)
        #expect(rules.decide(.write, path: "/cafe\u{301}/x") == .allowed(grant: 1))
        #expect(rules.decide(.write, path: "/caf\u{E9}/x") == .denied)
        #expect(rules.decide(.write, path: "/d/caf\u{E9}") == .allowed(grant: 1))
        #expect(rules.decide(.write, path: "/d/cafe\u{301}") == .denied)
    }

    /// Segments of every length around the 8-byte words the hash reads, at every distance from
    /// the end of the path.
    @Test func segmentsOfEveryLength() throws {
        let names = (1...20).map { n in String((0..<n).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) }) }
        let grants = names.map { #"{"who":["cert:*"],"allow":["read"],"paths":["/\#($0)/\#($0)"]}"# }
        let policy = try Policy(json: Array(#"{"grants":[\#(grants.joined(separator: ","))]}"#.utf8))
        let rules = policy.rules(for: try Principal("cert:x"))
        for (i, a) in names.enumerated() {
            #expect(rules.decide(.read, path: "/\(a)/\(a)") == .allowed(grant: i))
            #expect(rules.decide(.read, path: "/\(a)/\(a)x") == .denied)
            #expect(rules.decide(.read, path: "/\(a)/\(a.dropLast())") == .denied)
            #expect(rules.decide(.read, path: "/\(a)") == .denied)
            #expect(rules.decide(.read, path: "/\(a)/\(a)/\(a)") == .denied)
        }
    }

    @Test func pathsAsBytes() throws {
        let rules = Self.policy.rules(for: try Principal("cert:dev1"))
        let path = Array("/devices/dev1/state".utf8)
        #expect(path.withUnsafeBufferPointer { rules.decide(.write, utf8: $0) } == .allowed(grant: 2))
        let inside = Array("xx/devices/dev1/state/yy".utf8)
        #expect(inside.withUnsafeBufferPointer { rules.decide(.write, utf8: UnsafeBufferPointer(rebasing: $0[2..<21])) }
            == .allowed(grant: 2))
        #expect(inside.withUnsafeBufferPointer { rules.decide(.write, utf8: UnsafeBufferPointer(rebasing: $0[2..<24])) }
            == .allowed(grant: 2))
        #expect(inside.withUnsafeBufferPointer { rules.decide(.write, utf8: UnsafeBufferPointer(rebasing: $0[2..<14])) }
            == .denied)
        let substring = "x/devices/dev1/a".dropFirst()
        #expect(rules.decide(.write, path: String(substring)) == .allowed(grant: 2))
    }
}
