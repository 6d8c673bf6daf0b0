import Authorization
import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// Access control on every route class, on both backends: who may do what, decided before any
/// handler from the route table, and the peers' failures (Consul, etcd, ZooKeeper, Nacos,
/// Mosquitto) as named cases.
@Suite struct AuthorizationRouteTests {
    static let backends = RouteHarness.Backend.available
    static let dev1 = Identity.token("dev1-secret-token")
    static let dev2 = Identity.token("dev2-secret-token")
    static let reader = Identity.token("reader-secret-token")
    static let admin = Identity.token(RouteHarness.operatorToken)

    /// The fleet's policy inside a harness's folder `b`.
    static func policy(_ b: String) -> String {
        """
        {"tokens": [\(RouteHarness.operatorTokenEntry), \(RouteHarness.tokenEntry("dev1", "dev1-secret-token")),
                    \(RouteHarness.tokenEntry("dev2", "dev2-secret-token")), \(RouteHarness.tokenEntry("reader", "reader-secret-token"))],
         "grants": [\(RouteHarness.operatorGrant),
          {"who": ["cert:*", "token:dev1", "token:dev2"], "allow": ["read", "write"], "paths": ["\(b)/devices/{name}/**"]},
          {"who": ["cert:*", "token:dev1", "token:dev2"], "allow": ["read"], "paths": ["\(b)/config/**", "\(b)/locks/**", "\(b)/elections/**"]},
          {"who": ["cert:*", "token:dev1", "token:dev2"], "allow": ["lock"], "paths": ["\(b)/locks/printers/*"]},
          {"who": ["cert:*", "token:dev1", "token:dev2"], "allow": ["register"], "paths": ["\(b)/services/api/{name}"]},
          {"who": ["cert:*", "token:dev1", "token:dev2"], "allow": ["elect"], "paths": ["\(b)/elections/leader"]},
          {"who": ["token:reader"], "allow": ["read"], "paths": ["\(b)/shared", "\(b)/shared/one", "\(b)/config/site/**"]},
          {"who": ["anonymous"], "allow": ["read"], "paths": ["\(b)/public/**"]}]}
        """
    }

    static func harness(_ backend: RouteHarness.Backend) async throws -> RouteHarness {
        let harness = try await RouteHarness(backend, policy: policy)
        for folder in ["", "/devices", "/devices/dev1", "/devices/dev2", "/shared", "/shared/one", "/shared/two", "/public", "/config",
            "/config/site"]
        {
            let made = await harness.request(.put, "/v1/nodes" + harness.base + folder, object: ["data": "{}"], as: admin)
            #expect(made.status.code == 201, "\(folder): \(made.text)")
        }
        return harness
    }

    /// Each route class allowed, denied to another principal (403 naming the operation and
    /// path), and refused to an anonymous client (401 with WWW-Authenticate).
    @Test(arguments: backends)
    func decisionsPerRouteClass(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        let b = h.base
        let cases: [(HTTPMethod, String, [String: Any]?, Identity, Int)] = [
            (.get, "/v1/nodes\(b)/devices/dev1", nil, Self.dev1, 200),
            (.get, "/v1/nodes\(b)/devices/dev1", nil, Self.dev2, 403),
            (.get, "/v1/nodes\(b)/devices/dev1", nil, .anonymous, 401),
            (.get, "/v1/nodes\(b)/devices/dev1", nil, .cert("dev1"), 200),
            (.get, "/v1/nodes\(b)/devices/dev1", nil, .cert("dev2"), 403),
            (.put, "/v1/nodes\(b)/devices/dev1/x", ["data": "1"], Self.dev1, 201),
            (.put, "/v1/nodes\(b)/devices/dev1/y", ["data": "1"], Self.dev2, 403),
            (.put, "/v1/nodes\(b)/devices/dev1/z", ["data": "1"], .anonymous, 401),
            (.delete, "/v1/nodes\(b)/devices/dev1/x", nil, Self.dev2, 403),
            (.delete, "/v1/nodes\(b)/devices/dev1/x", nil, Self.dev1, 204),
            (.get, "/v1/nodes\(b)/public", nil, .anonymous, 200),
            (.put, "/v1/nodes\(b)/public", ["data": "1"], .anonymous, 401),
            (.put, "/v1/nodes\(b)/public", ["data": "1"], Self.dev1, 403),
            (.get, "/v1/nodes\(b)/shared/one", nil, Self.reader, 200),
            (.get, "/v1/nodes\(b)/shared/two", nil, Self.reader, 403),
            (.get, "/v1/config/site", nil, Self.dev1, 200),
            (.get, "/v1/locks/printers/1", nil, Self.dev1, 200),
            (.get, "/v1/locks/printers/1", nil, Self.reader, 403),
            (.get, "/v1/elections/leader", nil, Self.dev1, 200),
            (.get, "/v1/services/api/dev1", nil, Self.reader, 403),
            (.get, "/healthz", nil, .anonymous, 200),
            (.get, "/metrics", nil, .anonymous, 200),
        ]
        for (method, target, body, who, status) in cases {
            let answer = await h.request(method, target, object: body, as: who)
            #expect(answer.status.code == status, "\(method) \(target) as \(who): \(answer.text)")
            if status == 403 {
                #expect(answer.json["type"] as? String == "urn:zkgate:problem:forbidden", "\(answer.text)")
                #expect(answer.json["operation"] != nil && answer.json["path"] != nil, "\(answer.text)")
            }
            if status == 401 { #expect(answer.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true) }
        }
        await h.shutdown()
    }

    /// A denied read of a missing node is 403, as of a present one: a denial says nothing of
    /// existence.
    @Test(arguments: backends)
    func denialsDoNotLeakExistence(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        let present = await h.request(.get, "/v1/nodes\(h.base)/devices/dev1", as: Self.dev2)
        let missing = await h.request(.get, "/v1/nodes\(h.base)/devices/dev1/nothing-here", as: Self.dev2)
        expectProblem(present, status: 403, type: "forbidden")
        expectProblem(missing, status: 403, type: "forbidden")
        // The grant holder does learn it.
        expectProblem(await h.request(.get, "/v1/nodes\(h.base)/devices/dev1/nothing-here", as: Self.dev1), status: 404, type: "no-node")
        await h.shutdown()
    }

    /// Consul CVE-2019-12291: a recursive delete that reaches outside the grant is refused as
    /// a whole and deletes nothing; one inside a `/**` grant goes through.
    @Test(arguments: backends)
    func recursiveDeleteNeedsTheWholeSubtree(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        _ = await h.request(.put, "/v1/nodes\(h.base)/devices/dev1/a", object: ["data": "1"], as: Self.dev1)
        let before = await h.treeSnapshot()
        expectProblem(await h.request(.delete, "/v1/nodes\(h.base)/devices?recursive=true", as: Self.dev1), status: 403, type: "forbidden")
        // A malformed flag is decided as the larger reach, never as a single delete.
        expectProblem(await h.request(.delete, "/v1/nodes\(h.base)/devices?recursive=maybe", as: Self.dev1), status: 403,
            type: "forbidden")
        // Within the grant, the handler names the bad flag.
        expectInvalidParameter(await h.request(.delete, "/v1/nodes\(h.base)/devices/dev1?recursive=maybe", as: Self.dev1),
            field: "recursive")
        expectProblem(await h.request(.delete, "/v1/nodes\(h.base)/devices/dev2?recursive=true", as: Self.dev1), status: 403,
            type: "forbidden")
        #expect(await h.treeSnapshot() == before)
        #expect(await h.request(.delete, "/v1/nodes\(h.base)/devices/dev1?recursive=true", as: Self.dev1).status.code == 204)
        #expect(await h.request(.get, "/v1/nodes\(h.base)/devices/dev2", as: Self.dev2).status.code == 200)
        await h.shutdown()
    }

    /// etcd GHSA-xg4h-6gfc-h4m8 and ZooKeeper CVE-2024-23944: a subtree's feed carries only
    /// the events its principal may read, long-poll, stream and 410 snapshot alike; opening
    /// it needs a read of the watched node.
    @Test(arguments: backends)
    func watchFeedsCarryOnlyWhatThePrincipalMayRead(backend: RouteHarness.Backend) async throws {
        // A short history to reach a 410, where no other test's events share it.
        var options = Gateway.Options()
        if backend == .embedded { options.watchHistory = 4 }
        let h = try await RouteHarness(backend, options: options, policy: Self.policy)
        let b = h.base
        for folder in ["", "/devices", "/shared", "/shared/one", "/shared/two"] {
            #expect(await h.request(.put, "/v1/nodes\(b)\(folder)", object: ["data": "0"], as: Self.admin).status.code == 201)
        }
        expectProblem(await h.request(.get, "/v1/watch\(b)/devices?recursive=true&wait=0s", as: Self.dev1), status: 403, type: "forbidden")
        let start = await h.request(.get, "/v1/watch\(b)/shared?recursive=true&wait=0s", as: Self.reader)
        #expect(start.status.code == 200, "\(start.text)")
        let cursor = try #require(intValue(start.json["next"]))
        #expect(await h.request(.put, "/v1/nodes\(b)/shared/two", object: ["data": "2"], as: Self.admin).status.code == 200)
        #expect(await h.request(.put, "/v1/nodes\(b)/shared/one", object: ["data": "1"], as: Self.admin).status.code == 200)
        func paths(_ response: HTTPResponse) -> [String] {
            (response.json["events"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        }
        let mine = await h.request(.get, "/v1/watch\(b)/shared?recursive=true&since=\(cursor)&wait=5s", as: Self.reader)
        #expect(paths(mine) == ["\(b)/shared/one"], "\(mine.text)")
        let all = await h.request(.get, "/v1/watch\(b)/shared?recursive=true&since=\(cursor)&wait=5s", as: Self.admin)
        #expect(paths(all) == ["\(b)/shared/two", "\(b)/shared/one"], "\(all.text)")
        // A server-sent-event stream of the subtree carries the same events.
        let stream = RequestRecorder(loop: h.group.loops[0])
        stream.send(HTTPRequestHead(method: .get, target: "/v1/watch\(b)/shared?recursive=true",
            headers: ["Accept": "text/event-stream", "Authorization": "Bearer reader-secret-token"]), to: h.router)
        guard case .streamStarted(let status, _)? = await stream.event(0, within: .seconds(5)) else {
            Issue.record("no stream")
            return await h.shutdown()
        }
        #expect(status.code == 200)
        #expect(await h.request(.put, "/v1/nodes\(b)/shared/two", object: ["data": "s2"], as: Self.admin).status.code == 200)
        #expect(await h.request(.put, "/v1/nodes\(b)/shared/one", object: ["data": "s1"], as: Self.admin).status.code == 200)
        guard case .chunk(let bytes)? = await stream.event(1, within: .seconds(5)) else {
            Issue.record("no event streamed")
            return await h.shutdown()
        }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\(b)/shared/one") && !text.contains("\(b)/shared/two"), "\(text)")
        // Past the history: the 410's snapshot lists only readable nodes.
        guard backend == .embedded else { return await h.shutdown() }
        for i in 0..<6 { _ = await h.request(.put, "/v1/nodes\(b)/shared/two", object: ["data": "\(i)"], as: Self.admin) }
        let gone = await h.request(.get, "/v1/watch\(b)/shared?recursive=true&since=\(cursor)", as: Self.reader)
        expectProblem(gone, status: 410, type: "cursor-expired")
        let snapshot = (gone.json["snapshot"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(Set(snapshot) == ["\(b)/shared", "\(b)/shared/one"], "\(gone.text)")
        await h.shutdown()
    }

    /// A transaction is refused as a whole, naming the first path refused, and writes nothing.
    @Test(arguments: backends)
    func transactionsAreDecidedOnEveryOperation(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        let b = h.base
        let before = await h.treeSnapshot()
        let refused = await h.request(.post, "/v1/txn", object: ["ops": [
            ["op": "create", "path": "\(b)/devices/dev1/t1", "data": "x"],
            ["op": "create", "path": "\(b)/devices/dev2/t1", "data": "x"],
            ["op": "create", "path": "\(b)/public/t1", "data": "x"],
        ]], as: Self.dev1)
        expectProblem(refused, status: 403, type: "forbidden")
        #expect(refused.json["path"] as? String == "\(b)/devices/dev2/t1", "\(refused.text)")
        #expect(await h.treeSnapshot() == before)
        let allowed = await h.request(.post, "/v1/txn", object: ["ops": [["op": "create", "path": "\(b)/devices/dev1/t1", "data": "x"]]],
            as: Self.dev1)
        #expect(allowed.status.code == 200, "\(allowed.text)")
        await h.shutdown()
    }

    /// A device session belongs to the principal that opened it: nobody else renews, reads,
    /// closes or names it (etcd CVE-2023-32082: a session read lists ephemeral paths), and a
    /// lock's published token releases nothing for another principal. The operator may.
    @Test(arguments: backends)
    func sessionsBelongToWhoOpenedThem(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        let b = h.base
        let opened = await h.request(.post, "/v1/sessions", as: Self.dev1)
        #expect(opened.status.code == 201, "\(opened.text)")
        let session = try #require(opened.json["id"] as? String)
        #expect(await h.request(.put, "/v1/sessions/\(session)", as: Self.dev1).status.code == 200)
        for (method, target) in [(HTTPMethod.put, "/v1/sessions/\(session)"), (.get, "/v1/sessions/\(session)"),
            (.delete, "/v1/sessions/\(session)")]
        {
            expectProblem(await h.request(method, target, as: Self.dev2), status: 403, type: "forbidden")
            #expect(await h.request(method, target, as: .anonymous).status.code == 401)
        }
        // Naming it in a create, a lock, a campaign or a registration.
        let named: [(String, [String: Any])] = [
            ("/v1/nodes\(b)/devices/dev2/eph", ["data": "x", "mode": "ephemeral", "session": session]),
            ("/v1/locks/printers/1", ["session": session, "wait": "0s"]),
            ("/v1/elections/leader", ["session": session, "wait": "0s"]),
        ]
        for (target, body) in named {
            let answer = await h.request(.post, target, object: body, as: Self.dev2)
            expectProblem(answer, status: 403, type: "forbidden")
        }
        expectProblem(await h.request(.put, "/v1/services/api/dev2", object: ["session": session, "address": "10.0.0.2", "port": 1],
            as: Self.dev2), status: 403, type: "forbidden")
        // dev1 holds a lock; dev2 reads its token from the lock view and cannot release it.
        let granted = await h.request(.post, "/v1/locks/printers/1", object: ["session": session, "wait": "0s"], as: Self.dev1)
        #expect(granted.status.code == 200, "\(granted.text)")
        let view = await h.request(.get, "/v1/locks/printers/1", as: Self.dev2)
        let token = try #require(intValue((view.json["holder"] as? [String: Any])?["token"]))
        expectProblem(await h.request(.delete, "/v1/locks/printers/1?token=\(token)", as: Self.dev2), status: 403, type: "forbidden")
        let renewed = await h.request(.put, "/v1/sessions/\(session)", as: Self.dev1)
        #expect((renewed.json["lostLocks"] as? [Any])?.isEmpty == true, "\(renewed.text)")
        #expect(intValue((await h.request(.get, "/v1/locks/printers/1", as: Self.dev1).json["holder"] as? [String: Any])?["token"]) == token)
        // The owner may; so may the operator.
        #expect(await h.request(.get, "/v1/sessions/\(session)", as: Self.admin).status.code == 200)
        #expect(await h.request(.delete, "/v1/locks/printers/1?token=\(token)", as: Self.dev1).status.code == 204)
        #expect(await h.request(.delete, "/v1/sessions/\(session)", as: Self.admin).status.code == 204)
        // Ended: 404 to its owner while a replica still has the record cached, 403 once it is gone.
        #expect([403, 404].contains(await h.request(.put, "/v1/sessions/\(session)", as: Self.dev1).status.code))
        await h.shutdown()
    }

    /// The gateway's records are for administrators only, whatever the grants say.
    @Test(arguments: backends)
    func theInternalSubtreeIsForAdministrators(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        let session = try #require(await h.request(.post, "/v1/sessions", as: Self.dev1).json["id"] as? String)
        expectProblem(await h.request(.get, "/v1/nodes/zkgate?children=true", as: Self.dev1), status: 403, type: "forbidden")
        let record = "/v1/nodes/zkgate/owners/token:dev1/\(session)"
        expectProblem(await h.request(.get, record, as: Self.dev1), status: 403, type: "forbidden")
        let owner = await h.request(.get, record, as: Self.admin)
        #expect(owner.status.code == 200, "\(owner.text)")
        #expect((owner.json["stat"] as? [String: Any])?["ephemeralOwner"] as? String == session, "\(owner.text)")
        expectProblem(await h.request(.delete, record, as: Self.admin), status: 403, type: "internal-node")
        #expect(await h.request(.delete, "/v1/sessions/\(session)", as: Self.dev1).status.code == 204)
        await h.shutdown()
    }

    /// Mosquitto CVE-2017-7650: names that are unsafe inside a path are refused at
    /// authentication, before any substitution into `{name}`; so are unknown or malformed
    /// credentials. Headers that are not credentials name no one (Nacos CVE-2021-29441).
    @Test(arguments: backends)
    func identitiesThatCannotBeUsed(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        let target = "/v1/nodes\(h.base)/devices/dev1"
        for name in ["dev1/..", "..", ".", "*", "", "dev\u{0}1", "a/b", "{name}"] {
            expectProblem(await h.request(.get, target, as: .cert(name)), status: 401, type: "unsafe-identity")
        }
        expectProblem(await h.request(.get, target, as: .token("not-a-known-token")), status: 401, type: "invalid-token")
        for field in ["Basic ZGV2MTpwdw==", "Bearer", "Bearer ", "bearer  two words"] {
            let answer = await h.request(.get, target, headers: ["Authorization": field])
            #expect(answer.status.code == 401, "\(field): \(answer.text)")
        }
        for (name, value) in [("User-Agent", "Nacos-Server"), ("X-Forwarded-For", "127.0.0.1"), ("X-Client-Cert", "CN=dev1"),
            ("Host", "dev1")]
        {
            expectProblem(await h.request(.get, target, headers: [name: value]), status: 401, type: "unauthenticated")
        }
        // The scheme's case does not matter (RFC 9110 §11.1).
        #expect(await h.request(.get, target, headers: ["Authorization": "bEaReR dev1-secret-token"]).status.code == 200)
        await h.shutdown()
    }

    /// Nacos #4701: path shapes that once slipped past a route table never reach a handler
    /// undecided.
    @Test(arguments: backends)
    func pathShapesDoNotBypassTheDecision(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        let b = h.base
        let before = await h.treeSnapshot()
        for target in ["/v1/nodes\(b)/devices/dev2/", "/v1/nodes\(b)/devices/dev1/../dev2/x", "/v1/nodes\(b)/devices/dev1%2F..%2Fdev2",
            "/v1/nodes\(b)//devices/dev2/x", "/v1/node%73\(b)/devices/dev2/x", "/v1/nodes\(b)/devices/%64ev2/x"]
        {
            let answer = await h.request(.put, target, object: ["data": "x"], as: Self.dev1)
            #expect([400, 403, 404].contains(answer.status.code), "\(target): \(answer.text)")
        }
        #expect(await h.treeSnapshot() == before)
        await h.shutdown()
    }

    /// `?parents=true` creates only the ancestors the principal may write: the request was
    /// decided on its own path, and what it would make besides is decided too.
    @Test(arguments: backends)
    func parentsAreCreatedOnlyWhereThePrincipalMayWrite(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        let b = h.base
        #expect(await h.request(.delete, "/v1/nodes\(b)/devices/dev2", as: Self.admin).status.code == 204)
        // dev2's grant `/devices/{name}/**` covers the missing /devices/dev2 and all below it.
        let made = await h.request(.put, "/v1/nodes\(b)/devices/dev2/a/b?parents=true", object: ["data": "x"], as: Self.dev2)
        #expect(made.status.code == 201, "\(made.text)")
        // A missing ancestor outside the grant is refused, and nothing is made.
        #expect(await h.request(.delete, "/v1/nodes\(b)/devices/dev2?recursive=true", as: Self.admin).status.code == 204)
        #expect(await h.request(.delete, "/v1/nodes\(b)/devices/dev1", as: Self.admin).status.code == 204)
        #expect(await h.request(.delete, "/v1/nodes\(b)/devices", as: Self.admin).status.code == 204)
        let refused = await h.request(.put, "/v1/nodes\(b)/devices/dev1/x?parents=true", object: ["data": "x"], as: Self.dev1)
        expectProblem(refused, status: 403, type: "forbidden")
        #expect(refused.text.contains("\(b)/devices"), "\(refused.text)")
        expectProblem(await h.request(.post, "/v1/nodes\(b)/devices/dev1/y?parents=true", object: ["data": "x"], as: Self.dev1),
            status: 403, type: "forbidden")
        #expect(await h.request(.get, "/v1/nodes\(b)/devices", as: Self.admin).status.code == 404)
        await h.shutdown()
    }

    /// Probes, metrics and the contract are served whatever credentials come along.
    @Test func probesIgnoreCredentials() async throws {
        let h = try await Self.harness(.embedded)
        for target in ["/healthz", "/readyz", "/metrics", "/openapi.yaml", "/healthz?session=0000000000000001"] {
            for who in [Identity.anonymous, .token("not-a-token"), .cert("..")] {
                #expect(await h.request(.get, target, as: who).status.code == 200, "\(target) as \(who)")
            }
        }
        await h.shutdown()
    }

    /// The effective configuration merges only the layers its principal may read.
    @Test(arguments: backends)
    func configMergesTheLayersThePrincipalMayRead(backend: RouteHarness.Backend) async throws {
        let h = try await Self.harness(backend)
        #expect(await h.request(.put, "/v1/nodes\(h.base)/config", object: ["data": #"{"fleet": 1}"#], as: Self.admin).status.code == 200)
        #expect(await h.request(.put, "/v1/nodes\(h.base)/config/site", object: ["data": #"{"site": 2}"#], as: Self.admin).status.code == 200)
        let full = await h.request(.get, "/v1/config/site", as: Self.dev1)
        let fullConfig = full.json["config"] as? [String: Any] ?? [:]
        #expect(intValue(fullConfig["fleet"]) == 1 && intValue(fullConfig["site"]) == 2, "\(full.text)")
        let partial = await h.request(.get, "/v1/config/site", as: Self.reader)
        #expect(partial.status.code == 200, "\(partial.text)")
        let partialConfig = partial.json["config"] as? [String: Any] ?? [:]
        #expect(partialConfig["fleet"] == nil && intValue(partialConfig["site"]) == 2, "\(partial.text)")
        expectProblem(await h.request(.get, "/v1/config", as: Self.reader), status: 403, type: "forbidden")
        await h.shutdown()
    }

    /// A reloaded policy is in force from the next request on.
    @Test func aReloadTakesEffectAtOnce() async throws {
        let h = try await Self.harness(.embedded)
        let target = "/v1/nodes\(h.base)/shared/two"
        expectProblem(await h.request(.get, target, as: Self.reader), status: 403, type: "forbidden")
        let widened = Self.policy(h.base).replacingOccurrences(of: "\"\(h.base)/shared/one\"", with: "\"\(h.base)/shared/*\"")
        #expect(h.gateway.replaceAccessControl(try AccessControl(policy: try Policy(json: Array(widened.utf8)))))
        #expect(await h.request(.get, target, as: Self.reader).status.code == 200)
        await h.shutdown()
    }
}

extension RouteHarness {
    /// A request with header fields as given (and no credentials besides).
    func request(_ method: HTTPMethod, _ target: String, headers: HTTPHeaders) async -> HTTPResponse {
        await request(method, target, body: [], headers: headers)
    }
}

/// `--max-sessions-per-principal`: one principal cannot hold every session the gateway
/// allows; its sessions are counted on every replica (the owner records' folder).
@Suite struct SessionCapRouteTests {
    @Test(arguments: RouteHarness.Backend.available)
    func eachPrincipalHoldsAtMostItsShare(backend: RouteHarness.Backend) async throws {
        // Principals of this test alone: the count is the ensemble's, which other tests share.
        let unique = UUID().uuidString.prefix(8).lowercased()
        let (one, two) = (Identity.token("one-\(unique)"), Identity.token("two-\(unique)"))
        var options = Gateway.Options()
        options.maxSessionsPerPrincipal = 2
        let h = try await RouteHarness(backend, options: options) { _ in
            """
            {"tokens": [\(RouteHarness.operatorTokenEntry), \(RouteHarness.tokenEntry("one-\(unique)", "one-\(unique)")),
                        \(RouteHarness.tokenEntry("two-\(unique)", "two-\(unique)"))],
             "grants": [\(RouteHarness.operatorGrant)]}
            """
        }
        var opened: [String] = []
        for _ in 0..<2 {
            let answer = await h.request(.post, "/v1/sessions", as: one)
            #expect(answer.status.code == 201, "\(answer.text)")
            opened.append(answer.json["id"] as? String ?? "")
        }
        let refused = await h.request(.post, "/v1/sessions", as: one)
        expectProblem(refused, status: 429, type: "too-many-sessions")
        #expect(refused.headers["Retry-After"] != nil)
        // Others are not held back, nor is the operator; a closed session frees its place.
        #expect(await h.request(.post, "/v1/sessions", as: two).status.code == 201)
        for _ in 0..<3 { #expect(await h.request(.post, "/v1/sessions", as: AuthorizationRouteTests.admin).status.code == 201) }
        #expect(await h.request(.delete, "/v1/sessions/\(opened[0])", as: one).status.code == 204)
        var again = 0
        for _ in 0..<50 {
            again = Int(await h.request(.post, "/v1/sessions", as: one).status.code)
            if again == 201 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(again == 201)
        await h.shutdown()
    }
}

/// `--rate-limit`: each principal's allowance is its own; past it, 429 with Retry-After.
@Suite struct RateLimitRouteTests {
    @Test func eachPrincipalHasItsOwnAllowance() async throws {
        var options = Gateway.Options()
        // Slow enough that no allowance comes back while a loaded test run goes through these.
        options.rateLimit = RateLimit(perSecond: 0.01, burst: 3)
        let h = try await RouteHarness(.embedded, options: options, policy: AuthorizationRouteTests.policy)
        let target = "/v1/nodes\(h.base)/devices/dev1"
        for _ in 0..<3 { #expect(await h.request(.get, target, as: AuthorizationRouteTests.dev1).status.code != 429) }
        let limited = await h.request(.get, target, as: AuthorizationRouteTests.dev1)
        expectProblem(limited, status: 429, type: "rate-limited")
        #expect((1...100).contains(Int(limited.headers["Retry-After"] ?? "") ?? 0), "\(limited.headers)")
        // Another principal, and the probes, are not held back.
        #expect(await h.request(.get, target, as: AuthorizationRouteTests.dev2).status.code == 403)
        #expect(await h.request(.get, "/healthz", as: AuthorizationRouteTests.dev1).status.code == 200)
        #expect(RateLimit(parsing: "600/m", burst: nil) == RateLimit(perSecond: 10, burst: 10))
        #expect(RateLimit(parsing: "50/s", burst: 7) == RateLimit(perSecond: 50, burst: 7))
        for bad in ["", "0", "-1/s", "x/s", "5/h", "nan"] { #expect(RateLimit(parsing: bad, burst: nil) == nil, "\(bad)") }
        await h.shutdown()
    }
}

/// `--audit-log`: writes, refusals and session opens and closes, one JSON line each, with the
/// principal and never a token.
@Suite struct AuditLogRouteTests {
    @Test func writesRefusalsAndSessionsAreRecorded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.file("audit.log")
        let fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        #expect(fd >= 0)
        let h = try await RouteHarness(.embedded, policy: AuthorizationRouteTests.policy, audit: AuditLog(fd: fd, ownsFD: true))
        let b = h.base
        _ = await h.request(.put, "/v1/nodes\(b)", object: ["data": ""], as: AuthorizationRouteTests.admin)
        _ = await h.request(.put, "/v1/nodes\(b)/devices", object: ["data": ""], as: AuthorizationRouteTests.admin)
        #expect(await h.request(.put, "/v1/nodes\(b)/devices/dev1", object: ["data": "x"], as: AuthorizationRouteTests.dev1).status.code == 201)
        #expect(await h.request(.get, "/v1/nodes\(b)/devices/dev1", as: AuthorizationRouteTests.dev2).status.code == 403)
        #expect(await h.request(.get, "/v1/nodes\(b)/devices/dev1", as: AuthorizationRouteTests.dev1).status.code == 200)
        #expect(await h.request(.get, "/v1/nodes\(b)/devices/dev1", as: .token("wrong-token")).status.code == 401)
        let session = try #require(await h.request(.post, "/v1/sessions", as: AuthorizationRouteTests.dev1).json["id"] as? String)
        #expect(await h.request(.put, "/v1/sessions/\(session)", as: AuthorizationRouteTests.dev1).status.code == 200)
        #expect(await h.request(.delete, "/v1/sessions/\(session)", as: AuthorizationRouteTests.dev1).status.code == 204)
        h.gateway.auditPolicyReload(error: nil)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let lines = text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.allSatisfy { $0 != nil }, "\(text)")
        let entries = lines.compactMap { $0 }
        func find(_ event: String, _ status: Int, _ principal: String?) -> [String: Any]? {
            entries.first { $0["event"] as? String == event && intValue($0["status"]) == status && $0["principal"] as? String == principal }
        }
        let write = try #require(find("write", 201, "token:dev1"), "\(text)")
        #expect(write["paths"] as? [String] == ["\(b)/devices/dev1"])
        #expect(intValue(write["zxid"]) != nil && write["time"] is String && write["method"] as? String == "PUT")
        #expect(find("refused", 403, "token:dev2")?["operation"] as? String == "read", "\(text)")
        #expect(find("refused", 401, nil) != nil, "\(text)")
        #expect(find("session-open", 201, "token:dev1")?["session"] as? String == session, "\(text)")
        #expect(find("session-close", 204, "token:dev1")?["session"] as? String == session, "\(text)")
        #expect(find("policy-reload", 200, nil) != nil, "\(text)")
        // Reads that pass and renewals are not recorded; tokens never are.
        #expect(!entries.contains { $0["event"] as? String == "session-renew" }, "\(text)")
        #expect(!entries.contains { intValue($0["status"]) == 200 && $0["method"] as? String == "GET" }, "\(text)")
        for secret in ["dev1-secret-token", "dev2-secret-token", "wrong-token", RouteHarness.operatorToken] {
            #expect(!text.contains(secret))
        }
        await h.shutdown()
    }
}
