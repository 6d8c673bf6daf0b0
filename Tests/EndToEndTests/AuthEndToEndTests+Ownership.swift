import Foundation
import TestSupport
import Testing

extension AuthEndToEndTests {
    /// Device sessions belong to the principal that opened them: no other device may renew,
    /// close or name one, nor release its lock or resign its candidacy with the token every view
    /// publishes; an administrator may.
    @Suite("Session ownership", .enabled(if: curlPath != nil, "needs curl"))
    struct SessionOwnership {
        @Test func anotherDeviceCannotUseASessionItsLockOrItsCandidacy() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let dev1 = Who.cert("dev1")
            let dev2 = Who.cert("dev2")
            let session = try fleet.openSession(as: dev1)
            let own = try fleet.openSession(as: dev2)
            let lock = try fleet.send("POST", "/v1/locks/printers/1", as: dev1, json: ["session": session, "wait": "0s"])
            #expect(lock.status == 200, "\(lock)")
            let lockToken = try #require(intValue(lock.object["token"]))
            let campaign = try fleet.send("POST", "/v1/elections/leader", as: dev1,
                json: ["session": session, "value": "dev1", "wait": "0s"])
            #expect(campaign.status == 200 && campaign.object["leading"] as? Bool == true, "\(campaign)")
            let electionToken = try #require(intValue(campaign.object["token"]))
            // The lock view publishes the holder's token (and session) to whoever may read it.
            let view = try fleet.asOperator("GET", "/v1/locks/printers/1")
            let holder = try #require(view.object["holder"] as? [String: Any], "\(view)")
            #expect(intValue(holder["token"]) == lockToken && holder["session"] as? String == session, "\(view)")
            let before = try fleet.snapshot("/devices")

            for wire in Wire.allCases {
                let attempts: [(String, String, Any?)] = [
                    ("PUT", "/v1/sessions/\(session)", nil),
                    ("DELETE", "/v1/sessions/\(session)", nil),
                    ("POST", "/v1/nodes/devices/dev2/online", ["data": "up", "mode": "ephemeral", "session": session]),
                    ("POST", "/v1/nodes/devices/dev2/online?mode=ephemeral&session=\(session)", nil),
                    ("POST", "/v1/txn",
                     ["session": session, "ops": [["op": "create", "path": "/devices/dev2/online", "mode": "ephemeral"]]]),
                    ("POST", "/v1/locks/printers/2", ["session": session, "wait": "0s"]),
                    ("PUT", "/v1/services/api/dev2", ["session": session, "address": "10.0.0.2", "port": 8080]),
                    ("POST", "/v1/elections/leader", ["session": session, "value": "dev2", "wait": "0s"]),
                ]
                for (method, target, body) in attempts {
                    let response = try fleet.send(method, target, as: dev2, json: body, over: wire)
                    expectProblem(response, status: 403, type: "forbidden")
                    #expect(response.object["operation"] as? String == "session" && response.object["session"] as? String == session,
                        "\(method) \(target) over \(wire): \(response.bodyText)")
                }
                // The tokens are public; releasing or resigning with them needs the session's owner.
                for target in ["/v1/locks/printers/1?token=\(lockToken)", "/v1/elections/leader?token=\(electionToken)"] {
                    let response = try fleet.send("DELETE", target, as: dev2, over: wire)
                    expectProblem(response, status: 403, type: "forbidden")
                    #expect(response.status == 403, "DELETE \(target) over \(wire)")
                }
            }
            expectUnauthorized(try fleet.send("DELETE", "/v1/locks/printers/1?token=\(lockToken)", as: .anonymous))
            expectUnauthorized(try fleet.send("PUT", "/v1/sessions/\(session)", as: .anonymous))
            #expect(try fleet.snapshot("/devices") == before, "no ephemeral was created")

            // dev1 lost nothing: its renewal reports no lost lock, and it still holds and leads.
            let renewed = try fleet.send("PUT", "/v1/sessions/\(session)", as: dev1)
            #expect(renewed.status == 200 && renewed.bodyText.contains(#""lostLocks":[]"#), "\(renewed)")
            let still = try fleet.asOperator("GET", "/v1/locks/printers/1")
            #expect(intValue((still.object["holder"] as? [String: Any])?["token"]) == lockToken, "\(still)")
            let leader = try fleet.asOperator("GET", "/v1/elections/leader")
            #expect(intValue((leader.object["leader"] as? [String: Any])?["token"]) == electionToken, "\(leader)")
            // dev2 with its own session is served as usual.
            #expect(try fleet.send("POST", "/v1/locks/printers/2", as: dev2, json: ["session": own, "wait": "0s"]).status == 200)
            #expect(try fleet.send("PUT", "/v1/services/api/dev2", as: dev2,
                json: ["session": own, "address": "10.0.0.2", "port": 8080]).status == 200)
            // ... but registers only its own name.
            expectForbidden(try fleet.send("PUT", "/v1/services/api/dev1", as: dev2,
                json: ["session": own, "address": "10.0.0.2", "port": 1]),
                operation: "register", path: "/services/api/dev1")
            // The operator may close dev1's session; its lock and candidacy go with it.
            #expect(try fleet.asOperator("DELETE", "/v1/sessions/\(session)").status == 204)
            let freed = try fleet.asOperator("GET", "/v1/locks/printers/1")
            #expect(freed.status == 200 && freed.object["holder"] is NSNull, "\(freed)")
            let vacant = try fleet.asOperator("GET", "/v1/elections/leader")
            #expect(vacant.status == 200 && vacant.object["leader"] is NSNull, "\(vacant)")
        }

        /// Every request without credentials is one principal: sessions it opened would be
        /// every anonymous client's to renew, read and close (and could fill `--max-sessions`).
        @Test func anonymousRequestsCannotUseDeviceSessions() throws {
            let open: [String: Any] = ["who": ["anonymous"], "allow": ["write"], "paths": ["/public/**"]]
            let fleet = try AuthFleet(policy: try AuthFleet.policy(grants: AuthFleet.fleetGrants + [open]))
            defer { fleet.stop() }
            let session = try fleet.openSession(as: .cert("dev1"))
            for wire in Wire.allCases {
                for (method, target, body) in [
                    ("POST", "/v1/sessions", ["ttl": 60_000]),
                    ("POST", "/v1/sessions", nil),
                    ("PUT", "/v1/sessions/\(session)", nil),
                    ("GET", "/v1/sessions/\(session)", nil),
                    ("DELETE", "/v1/sessions/\(session)", nil),
                    ("POST", "/v1/nodes/public/online", ["mode": "ephemeral", "session": session]),
                ] as [(String, String, Any?)] {
                    let response = try fleet.send(method, target, as: .anonymous, json: body, over: wire)
                    expectUnauthorized(response)
                    #expect(response.status == 401, "\(method) \(target) over \(wire)")
                }
            }
            // Anonymous writes without a session are served as the policy says.
            #expect(try fleet.send("PUT", "/v1/nodes/public/note", as: .anonymous, json: ["data": "hi"]).status == 201)
            #expect(try fleet.send("PUT", "/v1/sessions/\(session)", as: .cert("dev1")).status == 200)
            // The only owner records are dev1's: no anonymous session was opened.
            let owners = try fleet.asOperator("GET", "/v1/nodes/zkgate/owners?children=true")
            #expect(owners.children == ["cert:dev1"], "\(owners)")
            let sessions = try fleet.asOperator("GET", "/v1/nodes/zkgate/owners/cert:dev1?children=true")
            #expect(sessions.children == [session], "\(sessions)")
        }

        @Test func theOperatorMayActOnAnySession() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let dev1 = Who.cert("dev1")
            let session = try fleet.openSession(as: dev1)
            let lock = try fleet.send("POST", "/v1/locks/printers/1", as: dev1, json: ["session": session, "wait": "0s"])
            let token = try #require(intValue(lock.object["token"]), "\(lock)")
            #expect(try fleet.asOperator("PUT", "/v1/sessions/\(session)").status == 200)
            #expect(try fleet.asOperator("GET", "/v1/sessions/\(session)").status == 200)
            #expect(try fleet.asOperator("DELETE", "/v1/locks/printers/1?token=\(token)").status == 204)
            #expect(try fleet.asOperator("DELETE", "/v1/sessions/\(session)").status == 204)
            expectProblem(try fleet.asOperator("GET", "/v1/sessions/\(session)"), status: 404, type: "session-expired")
            // Its owner record went with it: the id names no one's session now.
            #expect(try !fleet.exists("/zkgate/owners/\(session)"))
            expectProblem(try fleet.send("PUT", "/v1/sessions/\(session)", as: dev1), status: 403, type: "forbidden")
        }
    }
}
