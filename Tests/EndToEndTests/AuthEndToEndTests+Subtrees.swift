import Foundation
import TestSupport
import Testing

extension AuthEndToEndTests {
    /// What reaches further than one node: recursive deletes, watch feeds and device sessions
    /// (which list their ephemeral nodes), each checked against a known vulnerability of another
    /// coordination service.
    @Suite("Subtrees and sessions", .enabled(if: curlPath != nil, "needs curl"))
    struct Subtrees {
        /// Consul CVE-2019-12291: a recursive delete was checked against the prefix, not against
        /// every key it removed. Here it needs a grant of the whole subtree.
        @Test func aRecursiveDeleteReachingOutsideTheGrantDeletesNothing() throws {
            // dev1 may also write the children of /shared, one level deep.
            let shared: [String: Any] = ["who": ["cert:dev1"], "allow": ["read", "write"], "paths": ["/shared/*"]]
            let fleet = try AuthFleet(policy: try AuthFleet.policy(grants: AuthFleet.fleetGrants + [shared]))
            defer { fleet.stop() }
            for node in ["/shared/a", "/shared/b/deep", "/devices/dev1/logs/today"] {
                #expect(try fleet.asOperator("PUT", "/v1/nodes\(node)?parents=true", json: ["data": "x"]).status == 201)
            }
            let dev1 = Who.cert("dev1")
            let before = try fleet.snapshot()
            for (target, path) in [
                ("/v1/nodes/shared/b?recursive=true", "/shared/b"),
                ("/v1/nodes/shared/b?recursive", "/shared/b"),
                ("/v1/nodes/shared/b?recursive=1", "/shared/b"),
                ("/v1/nodes/shared?recursive=true", "/shared"),
                ("/v1/nodes/devices?recursive=true", "/devices"),
                ("/v1/nodes/?recursive=true", "/"),
            ] {
                let response = try fleet.send("DELETE", target, as: dev1)
                expectForbidden(response, operation: "write", path: path)
                #expect((response.object["detail"] as? String)?.hasSuffix("and everything below it.") == true, "\(response.bodyText)")
            }
            expectUnauthorized(try fleet.send("DELETE", "/v1/nodes/public?recursive=true", as: .anonymous))
            #expect(try fleet.snapshot() == before, "nothing was deleted")
            // Within the grant: a leaf of /shared, and dev1's whole subtree.
            #expect(try fleet.send("DELETE", "/v1/nodes/shared/a", as: dev1).status == 204)
            #expect(try fleet.send("DELETE", "/v1/nodes/devices/dev1?recursive=true", as: dev1).status == 204)
            #expect(try !fleet.exists("/devices/dev1"))
            #expect(try fleet.exists("/shared/b/deep") && fleet.exists("/devices/dev2/status"))
        }

        /// etcd GHSA-xg4h-6gfc-h4m8 and ZooKeeper CVE-2024-23944: a watch (a persistent recursive
        /// one, in ZooKeeper) reported changes to keys its reader could not read. Here a feed
        /// needs a read of the node it watches, and carries only the events below it that its
        /// principal may read (filtered per event: GatewayAPITests' route tests show the events).
        @Test func aWatchNeedsAReadOfItsNode() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let dev1 = Who.cert("dev1")
            // A read grant on one key: the key can be read...
            #expect(try fleet.send("GET", "/v1/nodes/firmware/current", as: dev1).dataText == "1.2.3")
            // ...and watched, but not its parent (whose feed would report /firmware/next).
            #expect(try fleet.send("GET", "/v1/watch/firmware/current?wait=0s", as: dev1).status == 200)
            for (target, path) in [
                ("/v1/watch/firmware?wait=0s", "/firmware"),
                ("/v1/watch/firmware?recursive=true&wait=0s", "/firmware"),
                ("/v1/watch/devices?recursive=true&wait=0s", "/devices"),
                ("/v1/watch/?recursive=true&wait=0s", "/"),
                ("/v1/watch/zkgate/owners?recursive=true&wait=0s", "/zkgate/owners"),
            ] {
                for wire in Wire.allCases {
                    let response = try fleet.send("GET", target, as: dev1, over: wire)
                    expectForbidden(response, operation: "read", path: path)
                }
            }
            expectUnauthorized(try fleet.send("GET", "/v1/watch/?recursive=true&wait=0s", as: .anonymous))
            // With a read of the watched node, the feed is served.
            for (who, target) in [
                (dev1, "/v1/watch/devices/dev1?recursive=true&wait=0s"),
                (dev1, "/v1/watch/config?recursive=true&wait=0s"),
                (Who.anonymous, "/v1/watch/public?recursive=true&wait=0s"),
                (AuthFleet.administrator, "/v1/watch/?recursive=true&wait=0s"),
            ] {
                let response = try fleet.send("GET", target, as: who)
                #expect(response.status == 200, "\(who) \(target): \(response)")
            }
            // The stream form is decided the same way.
            let stream = try fleet.send("GET", "/v1/watch/devices?recursive=true", as: dev1,
                headers: [("Accept", "text/event-stream")])
            expectForbidden(stream, operation: "read", path: "/devices")
        }

        /// etcd CVE-2023-32082: a lease's keys could be listed by anyone. A device session lists
        /// its ephemeral nodes, so only its owner (or an administrator) may read it.
        @Test func anotherPrincipalCannotReadASession() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let dev1 = Who.cert("dev1")
            let session = try fleet.openSession(as: dev1)
            let online = try fleet.send("POST", "/v1/nodes/devices/dev1/online", as: dev1,
                json: ["data": "up", "mode": "ephemeral", "session": session])
            #expect(online.status == 201, "\(online)")
            let own = try fleet.send("GET", "/v1/sessions/\(session)", as: dev1)
            #expect(own.status == 200 && own.object["ephemerals"] as? [String] == ["/devices/dev1/online"], "\(own)")

            for who in [Who.cert("dev2"), .bearer(try fleet.jwt("dev3")), .bearer(try fleet.jwt("dev1"))] {
                for wire in Wire.allCases {
                    let response = try fleet.send("GET", "/v1/sessions/\(session)", as: who, over: wire)
                    expectProblem(response, status: 403, type: "forbidden")
                    #expect(response.object["operation"] as? String == "session" && response.object["session"] as? String == session,
                        "\(response.bodyText)")
                    #expect(!response.bodyText.contains("/devices/dev1"), "\(response.bodyText)")
                }
            }
            expectUnauthorized(try fleet.send("GET", "/v1/sessions/\(session)", as: .anonymous))
            // Nor through the gateway's own records, which list every session's owner.
            let dev2 = Who.cert("dev2")
            let record = "/zkgate/owners/cert:dev1/\(session)"
            expectForbidden(try fleet.send("GET", "/v1/nodes" + record, as: dev2), operation: "read", path: record)
            expectForbidden(try fleet.send("GET", "/v1/nodes/zkgate/owners?children=true", as: dev2),
                operation: "read", path: "/zkgate/owners")
            expectForbidden(try fleet.send("GET", "/v1/nodes" + record, as: dev1), operation: "read", path: record)

            // The operator reads both, and still writes neither.
            let seen = try fleet.asOperator("GET", "/v1/sessions/\(session)")
            #expect(seen.status == 200 && seen.object["ephemerals"] as? [String] == ["/devices/dev1/online"], "\(seen)")
            func ownerOfRecord() throws -> String? {
                (try fleet.asOperator("GET", "/v1/nodes" + record).object["stat"] as? [String: Any])?["ephemeralOwner"] as? String
            }
            #expect(try ownerOfRecord() == session)
            expectProblem(try fleet.asOperator("PUT", "/v1/nodes" + record, json: ["data": "cert:dev2"]), status: 403, type: "internal-node")
            expectProblem(try fleet.asOperator("DELETE", "/v1/nodes" + record), status: 403, type: "internal-node")
            #expect(try ownerOfRecord() == session)
        }
    }
}
