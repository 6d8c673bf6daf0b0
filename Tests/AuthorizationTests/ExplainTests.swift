import Authorization
import Testing

@Suite("Explanations")
struct ExplainTests {
    static var policy: Policy { PrincipalRulesTests.policy }

    @Test func allowed() throws {
        #expect(Self.policy.explain(who: try Principal("cert:dev1"), permission: .write, path: "/devices/dev1/x")
            == #"allowed: grants[2].paths[0] "/devices/{name}/**" of {"who":["cert:*","jwt:*"],"allow":["read","write"],"paths":["/devices/{name}/**"]} allows write on /devices/dev1/x for cert:dev1"#)
        #expect(Self.policy.explain(who: try Principal("cert:dev1"), permission: .read, path: "/anon2/dev1")
            .hasPrefix(#"allowed: grants[10].paths[1] "/anon2/{name}" of "#))
    }

    @Test func impliedByAdmin() throws {
        #expect(Self.policy.explain(who: try Principal("token:ops"), permission: .write, path: "/x")
            == #"allowed: grants[0].paths[0] "/**" of {"who":["token:ops"],"allow":["admin"],"paths":["/**"]} allows write on /x for token:ops (admin implies write)"#)
    }

    @Test func denied() throws {
        #expect(Self.policy.explain(who: try Principal("cert:dev1"), permission: .write, path: "/x")
            == "denied: no grant allows write on /x for cert:dev1")
        #expect(Self.policy.explain(who: .anonymous, permission: .read, path: "/anon/x")
            == "denied: no grant allows read on /anon/x for anonymous")
    }

    @Test func notNormalized() throws {
        #expect(Self.policy.explain(who: try Principal("token:ops"), permission: .read, path: "/a//b")
            == #"denied: read on /a//b for token:ops: not a normalized znode path (absolute; no empty, "." or ".." segment; no trailing "/")"#)
    }

    @Test func controlCharactersAreEscaped() throws {
        #expect(Self.policy.explain(who: try Principal("cert:dev1"), permission: .read, path: "/x\n/y")
            == #"denied: no grant allows read on "/x\u000a/y" for cert:dev1"#)
    }
}
