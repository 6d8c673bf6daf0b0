import Foundation
import TestSupport
import Testing

/// zkgate's HTTP recipes and Apache Curator's, on the same ensemble and the same paths, as
/// peers: a Curator mutex holder blocks an HTTP acquire and the reverse, a LeaderLatch and
/// HTTP campaigners elect exactly one leader, and ServiceDiscovery and HTTP registrations see
/// each other.
@Suite(.enabled(if: CuratorPeers.connectString != nil && Curator.available && Kazoo.available,
                "needs the ensemble (scripts/test.sh), Curator and a JDK (scripts/setup.sh), and kazoo"))
struct V1CuratorInteropTests {
    /// zkgate under a fresh chroot, and Curator's connect string for the same chroot.
    static func start(_ name: String) throws -> (server: V1Server, curator: String, chroot: String) {
        let chroot = "/zkgate-curator-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        let connect = try #require(CuratorPeers.connectString)
        return (try V1Server(["--zookeeper", connect + chroot]), connect + chroot, chroot)
    }

    @Test func aCuratorHolderBlocksAnHTTPAcquireAndTheReverse() throws {
        let (server, curator, chroot) = try Self.start("mutex")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        let session = try client.openSession(ttl: 30_000)

        // Curator holds: HTTP waits, is refused at the end of its wait, and leaves no node.
        let holder = try Curator.start(connectString: curator, arguments: ["mutex-hold", "/locks/shared", "60000"])
        defer { _ = holder.stop() }
        let held = CuratorPeers.fields(try holder.waitFor("acquired "))
        let curatorToken = try #require(Int(held[2]))
        let refused = try client.acquire("shared", session: session, wait: "500ms")
        expectProblem(refused, status: 409, type: "lock-held")
        let shown = try client.request("GET", "/v1/locks/shared")
        #expect(intValue(shown.holder?["token"]) == curatorToken)
        expectProblem(try client.request("DELETE", "/v1/locks/shared?token=\(curatorToken)"), status: 409, type: "not-holder")
        #expect(shown.holder?["session"] is NSNull, "a Curator holder has no zkgate session: \(shown.bodyText)")
        #expect(shown.holder?["node"] as? String == held[1])

        // Curator releases while HTTP waits: HTTP is granted, with a larger token.
        let waiter = try server.connect(timeout: 30)
        try waiter.send(HTTPRequestBytes.make("POST", "/v1/locks/shared", headers: [("Content-Type", "application/json")],
            body: jsonBytes(["session": session, "wait": "30s"])))
        #expect(eventually(timeout: 10) { ((try? client.request("GET", "/v1/locks/shared"))?.object["queue"] as? [Any])?.count == 1 })
        #expect(holder.stop() == .exited(0))
        let granted = try waiter.readResponse(timeout: 20)
        #expect(granted.status == 200, "\(granted)")
        let token = try #require(granted.token)
        #expect(token > curatorToken)

        // HTTP holds: a Curator try times out; after the HTTP release Curator acquires.
        let blocked = try Curator.run(connectString: curator, arguments: ["mutex-try", "/locks/shared", "1000"])
        #expect(blocked.contains("timeout"), "\(blocked)")
        #expect(try client.request("DELETE", "/v1/locks/shared?token=\(token)").status == 204)
        let after = try Curator.run(connectString: curator, arguments: ["mutex-try", "/locks/shared", "10000"])
        let acquired = CuratorPeers.fields(try #require(after.first { $0.hasPrefix("acquired ") }, "\(after)"))
        #expect(try #require(Int(acquired[2])) > token)
    }

    @Test func aLeaderLatchAndHTTPCampaignersElectExactlyOneLeader() throws {
        let (server, curator, chroot) = try Self.start("latch")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        let session = try client.openSession(ttl: 30_000)

        let alpha = try Curator.start(connectString: curator, arguments: ["latch", "/elections/primary", "alpha", "60000"])
        defer { _ = alpha.stop() }
        _ = try alpha.waitFor("leader alpha")
        let campaign = try client.recipe("POST", "/v1/elections/primary", ["session": session, "value": "beta", "wait": "300ms"])
        #expect(campaign.status == 202, "\(campaign)")
        #expect((campaign.object["leader"] as? [String: Any])?["value"] as? String == "alpha")
        #expect(try Curator.run(connectString: curator, arguments: ["latch-leader", "/elections/primary"]) == ["leader alpha"])
        let observed = try client.request("GET", "/v1/elections/primary")
        #expect((observed.object["leader"] as? [String: Any])?["value"] as? String == "alpha")
        #expect(intValue(observed.object["candidates"]) == 2)

        // The latch closes: the HTTP candidate leads, and Curator sees it as the leader.
        let waiting = try server.connect(timeout: 30)
        try waiting.send(HTTPRequestBytes.make("POST", "/v1/elections/primary", headers: [("Content-Type", "application/json")],
            body: jsonBytes(["session": session, "value": "beta", "wait": "30s"])))
        #expect(alpha.stop() == .exited(0))
        let leading = try waiting.readResponse(timeout: 20)
        #expect(leading.status == 200 && leading.object["leading"] as? Bool == true, "\(leading)")
        #expect(try Curator.run(connectString: curator, arguments: ["latch-leader", "/elections/primary"]) == ["leader beta"])
        let gamma = try Curator.start(connectString: curator, arguments: ["latch", "/elections/primary", "gamma", "60000"])
        defer { _ = gamma.stop() }
        #expect(try gamma.waitFor("follower ") == "follower beta")

        // The HTTP leader resigns: the latch leads.
        let token = try #require(leading.token)
        #expect(try client.request("DELETE", "/v1/elections/primary?token=\(token)").status == 204)
        _ = try gamma.waitFor("leader gamma")
        let after = try client.request("GET", "/v1/elections/primary")
        #expect((after.object["leader"] as? [String: Any])?["value"] as? String == "gamma")
        #expect(intValue(after.object["candidates"]) == 1)
    }

    @Test func serviceDiscoveryAndHTTPRegistrationsSeeEachOther() throws {
        let (server, curator, chroot) = try Self.start("discovery")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        let session = try client.openSession(ttl: 30_000)

        let payload = #"{"zone":"eu-1","weight":3,"tags":["a","b"]}"#
        let registered = try Curator.start(connectString: curator,
            arguments: ["discovery-register", "/services", "web", "jvm-1", "10.0.0.7", "8080", payload, "60000"])
        defer { _ = registered.stop() }
        _ = try registered.waitFor("registered ")
        let listed = try client.request("GET", "/v1/services/web")
        let instances = try #require(listed.object["instances"] as? [[String: Any]], "\(listed)")
        #expect(instances.count == 1)
        #expect(instances.first?["id"] as? String == "jvm-1")
        #expect(intValue(instances.first?["port"]) == 8080)
        let expected = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? NSDictionary
        #expect((instances.first?["payload"] as? NSDictionary) == expected, "the payload without Curator's type: \(listed.bodyText)")

        let put = try client.recipe("PUT", "/v1/services/web/http-1",
            ["session": session, "address": "10.0.0.8", "port": 9090, "payload": ["zone": "eu-2", "list": [1, 2]]])
        #expect(put.status == 200, "\(put)")
        let seen = try Curator.run(connectString: curator, arguments: ["discovery-list", "/services", "web"])
        #expect(seen.count == 2, "\(seen)")
        let http = try #require(try seen.map { try CuratorPeers.object($0) }.first { $0["id"] as? String == "http-1" })
        #expect(http["address"] as? String == "10.0.0.8")
        #expect(intValue(http["port"]) == 9090)
        #expect((http["payload"] as? [String: Any])?["zone"] as? String == "eu-2", "\(http)")
        #expect(try Curator.run(connectString: curator, arguments: ["discovery-names", "/services"]) == ["name web"])

        // Closing the device session deregisters it for Curator too.
        #expect(try client.request("DELETE", "/v1/sessions/\(session)").status == 204)
        #expect(eventually(timeout: 10) {
            ((try? Curator.run(connectString: curator, arguments: ["discovery-list", "/services", "web"])) ?? []).count == 1
        })
    }
}
