import Foundation
import TestSupport
import Testing

extension AuthEndToEndTests {
    /// Who a request is from, on the real binary: the operator's bearer token, client
    /// certificates, JWTs and anonymous requests, over HTTP/1.1 and HTTP/2; what is no identity
    /// (forged headers) and which names are refused before any rule uses them.
    @Suite("Identities", .enabled(if: curlPath != nil, "needs curl"))
    struct Identities {
        @Test(arguments: Wire.allCases)
        func everyIdentityKindIsAllowedAndDeniedByThePolicy(over wire: Wire) throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let version = wire == .http2 ? "HTTP/2" : "HTTP/1.1"
            let dev1 = Who.cert("dev1")
            let dev3 = Who.bearer(try fleet.jwt("dev3"))

            // The operator's bearer token: admin on /**.
            let ops = try fleet.send("PUT", "/v1/nodes/secret/plans", as: AuthFleet.administrator, json: ["data": "v2"], over: wire)
            #expect(ops.status == 200 && ops.version == version, "\(ops)")

            // A device by certificate: its own subtree and the fleet's configuration.
            let own = try fleet.send("PUT", "/v1/nodes/devices/dev1/status", as: dev1, json: ["data": "dev1 busy"], over: wire)
            #expect(own.status == 200 && own.version == version, "\(own)")
            #expect(try fleet.send("GET", "/v1/nodes/config/fleet", as: dev1, over: wire).status == 200)
            let other = try fleet.send("PUT", "/v1/nodes/devices/dev2/status", as: dev1, json: ["data": "dev1 was here"], over: wire)
            expectForbidden(other, operation: "write", path: "/devices/dev2/status")
            #expect(other.version == version)
            #expect((other.object["detail"] as? String)?.contains("cert:dev1") == true, "\(other.bodyText)")
            expectForbidden(try fleet.send("PUT", "/v1/nodes/config/fleet", as: dev1, json: ["data": "{}"], over: wire),
                operation: "write", path: "/config/fleet")
            expectForbidden(try fleet.send("GET", "/v1/nodes/secret/plans", as: dev1, over: wire), operation: "read", path: "/secret/plans")

            // A device by JWT: the same grants, for its subject.
            #expect(try fleet.send("PUT", "/v1/nodes/devices/dev3/status", as: dev3, json: ["data": "dev3 busy"], over: wire).status == 200)
            let jwtDenied = try fleet.send("GET", "/v1/nodes/devices/dev1/status", as: dev3, over: wire)
            expectForbidden(jwtDenied, operation: "read", path: "/devices/dev1/status")
            #expect((jwtDenied.object["detail"] as? String)?.contains("jwt:dev3") == true, "\(jwtDenied.bodyText)")

            // Anonymous: /public only; elsewhere 401 with a challenge, not 403.
            let anonymous = try fleet.send("GET", "/v1/nodes/public/info", as: .anonymous, over: wire)
            #expect(anonymous.status == 200 && anonymous.dataText == "hello" && anonymous.version == version, "\(anonymous)")
            let challenged = try fleet.send("GET", "/v1/nodes/devices/dev1/status", as: .anonymous, over: wire)
            expectUnauthorized(challenged)
            #expect(challenged.version == version)
            expectUnauthorized(try fleet.send("PUT", "/v1/nodes/public/info", as: .anonymous, json: ["data": "defaced"], over: wire))

            // What was refused wrote nothing.
            #expect(try fleet.asOperator("GET", "/v1/nodes/devices/dev2/status").dataText == "dev2 ok")
            #expect(try fleet.asOperator("GET", "/v1/nodes/config/fleet").dataText == #"{"level":"info"}"#)
            #expect(try fleet.asOperator("GET", "/v1/nodes/public/info").dataText == "hello")
            #expect(try fleet.asOperator("GET", "/v1/nodes/devices/dev1/status").dataText == "dev1 busy")
        }

        /// A connection remembers the principal its last credentials named, so that a device's
        /// next request skips authentication; yet every request is decided on what it sends
        /// itself: on one keep-alive connection (a proxy's carries many clients), and on one
        /// HTTP/2 connection's streams, a change of credentials, or none, or a token one byte
        /// off, is a change of principal.
        @Test func everyRequestOnOneConnectionIsDecidedOnItsOwnCredentials() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let dev3 = try fleet.jwt("dev3")
            var near = Array(AuthFleet.operatorToken.utf8)
            near[near.count - 1] = near[near.count - 1] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            let nearToken = String(decoding: near, as: UTF8.self)
            func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }
            let plans = "/v1/nodes/secret/plans"

            let connection = try fleet.server.connect()
            #expect(try connection.request("GET", plans, headers: bearer(AuthFleet.operatorToken)).status == 200)
            expectForbidden(try connection.request("GET", plans, headers: bearer(dev3)), operation: "read", path: "/secret/plans")
            #expect(try connection.request("GET", "/v1/nodes/devices/dev3/status", headers: bearer(dev3)).status == 200)
            expectUnauthorized(try connection.request("GET", plans))
            #expect(try connection.request("GET", "/v1/nodes/public/info").status == 200)
            expectUnauthorized(try connection.request("GET", plans, headers: bearer(nearToken)), type: "invalid-token")
            expectUnauthorized(try connection.request("GET", plans, headers: bearer(AuthFleet.operatorToken + "x")), type: "invalid-token")
            expectUnauthorized(try connection.request("GET", plans, headers: [("Authorization", "Basic b3BzOm9wcw==")]),
                type: "invalid-credentials")
            #expect(try connection.request("GET", plans, headers: bearer(AuthFleet.operatorToken)).status == 200)

            let socket = try fleet.server.connect()
            let client = HTTP2TestClient()
            // HTTP/2 field names are lowercase (RFC 9113 §8.2.1).
            func bearer2(_ token: String) -> [(String, String)] { [("authorization", "Bearer \(token)")] }
            let streams: [(Int32, String)] = [
                (client.request("GET", plans, headers: bearer2(AuthFleet.operatorToken)), "200"),
                (client.request("GET", plans, headers: bearer2(dev3)), "403"),
                (client.request("GET", plans), "401"),
                (client.request("GET", plans, headers: bearer2(nearToken)), "401"),
                (client.request("GET", plans, headers: bearer2(AuthFleet.operatorToken)), "200"),
                (client.request("GET", "/v1/nodes/public/info"), "200"),
            ]
            #expect(try HTTP2EndToEndTests.pump(client, socket, timeout: 10) { streams.allSatisfy { client.ended.contains($0.0) } })
            for (stream, status) in streams { #expect(client.statuses[stream] == status, "stream \(stream)") }
        }

        /// A refusal is decided before the node is looked up: a missing node answers as an
        /// existing one would, so a denied reader learns nothing of what exists.
        @Test func aDeniedReadOfAMissingNodeIsForbiddenNotNotFound() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let dev1 = Who.cert("dev1")
            let missing = try fleet.send("GET", "/v1/nodes/devices/dev2/missing", as: dev1)
            expectForbidden(missing, operation: "read", path: "/devices/dev2/missing")
            let present = try fleet.send("GET", "/v1/nodes/devices/dev2/status", as: dev1)
            expectForbidden(present, operation: "read", path: "/devices/dev2/status")
            expectForbidden(try fleet.send("GET", "/v1/nodes/nowhere/at/all?children=true", as: dev1),
                operation: "read", path: "/nowhere/at/all")
            // Where the device may read, a missing node is 404.
            expectProblem(try fleet.send("GET", "/v1/nodes/devices/dev1/missing", as: dev1), status: 404, type: "no-node")
            // Anonymous: 401 for both.
            expectUnauthorized(try fleet.send("GET", "/v1/nodes/secret/missing", as: .anonymous))
            expectUnauthorized(try fleet.send("GET", "/v1/nodes/secret/plans", as: .anonymous))
            expectProblem(try fleet.send("GET", "/v1/nodes/public/missing", as: .anonymous), status: 404, type: "no-node")
        }

        /// Nacos CVE-2021-29441: a `User-Agent: Nacos-Server` skipped authentication. Here no
        /// header but `Authorization` (and no address) names a principal.
        @Test func forgedHeadersGiveNoIdentity() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let before = try fleet.snapshot()
            let forgeries: [(host: String, headers: [(String, String)])] = [
                ("127.0.0.1", [("User-Agent", "Nacos-Server")]),
                ("127.0.0.1", [("X-Forwarded-For", "127.0.0.1")]),
                ("127.0.0.1", [("X-Real-IP", "127.0.0.1"), ("Forwarded", "for=127.0.0.1;proto=https")]),
                ("localhost", []),
                ("zkgate.internal:8080", [("X-Forwarded-Host", "localhost")]),
                ("127.0.0.1", [("X-Forwarded-User", "ops"), ("X-Remote-User", "token:ops"), ("X-Auth-Token", AuthFleet.operatorToken)]),
                ("127.0.0.1", [("X-SSL-Client-S-DN", "CN=dev1"), ("X-Client-Cert-CN", "dev1"), ("X-Principal", "cert:dev1")]),
            ]
            for (host, headers) in forgeries {
                for (method, target, body) in [
                    ("PUT", "/v1/nodes/devices/dev1/status", jsonBytes(["data": "forged"])),
                    ("GET", "/v1/nodes/secret/plans", nil),
                    ("GET", "/v1/nodes/zkgate?children=true", nil),
                ] as [(String, String, [UInt8]?)] {
                    let client = try fleet.server.connect()
                    try client.send(HTTPRequestBytes.make(method, target, host: host,
                        headers: headers + (body == nil ? [] : [("Content-Type", "application/json")]), body: body))
                    let response = try client.readResponse(method: method)
                    expectUnauthorized(response)
                    #expect(response.status == 401, "\(method) \(target) with Host \(host) and \(headers)")
                }
            }
            // Credentials that are not a bearer token of the policy are refused as such.
            let refused: [(String, String)] = [
                ("Basic b3BzOm9wcw==", "invalid-credentials"),
                ("Bearer", "invalid-credentials"),
                ("Token \(AuthFleet.operatorToken)", "invalid-credentials"),
                ("Bearer not-the-operator-token", "invalid-token"),
                ("Bearer \(AuthFleet.operatorToken)x", "invalid-token"),
            ]
            for (field, type) in refused {
                let response = try fleet.server.connect().request("GET", "/v1/nodes/public/info", headers: [("Authorization", field)])
                expectUnauthorized(response, type: type)
            }
            #expect(try fleet.snapshot() == before, "nothing changed")
            // The forged requests were logged as anonymous.
            #expect(fleet.server.process.stdout.wait(timeout: 5) { text in
                text.split(separator: "\n").filter { $0.contains(" anonymous \"GET /v1/nodes/secret/plans ") }.count == forgeries.count
            }, "\(fleet.server.process.stdout.text)")
        }

        /// Mosquitto CVE-2017-7650: a client id with `+`/`#` substituted into an ACL pattern
        /// widened it. A certificate CN or a JWT `sub` that would change a path's shape is refused
        /// (401 `unsafe-identity`) before any `{name}` is substituted.
        @Test func unsafeNamesAreRefusedBeforeAnySubstitution() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let before = try fleet.snapshot()
            // `/devices/{name}/**` would become /devices/dev/1/**, /devices/../** or /devices/*/**.
            let attempts: [(Who, String)] = [
                (.cert("slash"), "/v1/nodes/devices/dev/1/status?parents=true"),
                (.cert("dotdot"), "/v1/nodes/devices/dev2/status"),
                (.cert("star"), "/v1/nodes/devices/dev2/status"),
                (.bearer(try fleet.jwt("dev/1")), "/v1/nodes/devices/dev/1/status?parents=true"),
                (.bearer(try fleet.jwt("..")), "/v1/nodes/devices/dev2/status"),
                (.bearer(try fleet.jwt("*")), "/v1/nodes/devices/dev2/status"),
                (.bearer(try fleet.jwt("dev2/..")), "/v1/nodes/devices/dev2/status"),
                (.bearer(try fleet.jwt("dev\n2")), "/v1/nodes/devices/dev2/status"),
                (.bearer(try fleet.jwt("{name}")), "/v1/nodes/devices/dev2/status"),
            ]
            for (who, target) in attempts {
                let write = try fleet.send("PUT", target, as: who, json: ["data": "mine now"])
                expectUnauthorized(write, type: "unsafe-identity")
                #expect(write.status == 401, "\(who) PUT \(target)")
                let read = try fleet.send("GET", "/v1/nodes/devices/dev2/status", as: who)
                expectUnauthorized(read, type: "unsafe-identity")
            }
            // A safe name is decided as usual (403: it is authenticated, only not allowed).
            expectForbidden(try fleet.send("PUT", "/v1/nodes/devices/dev1/status", as: .cert("dev2"), json: ["data": "x"]),
                operation: "write", path: "/devices/dev1/status")
            #expect(try fleet.snapshot() == before, "nothing was written")
        }

        @Test func theAccessLogNamesThePrincipal() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let requests: [(Who, String)] = [
                (AuthFleet.administrator, "token:ops"),
                (.cert("dev1"), "cert:dev1"),
                (.bearer(try fleet.jwt("dev3")), "jwt:dev3"),
                (.anonymous, "anonymous"),
                (.bearer("an-unknown-token"), "-"),
            ]
            for (i, (who, _)) in requests.enumerated() {
                _ = try fleet.send("GET", "/v1/nodes/public/info?request=\(i)", as: who)
            }
            // [date] remote principal "request" status bytes durationus
            let pattern =
                #/^\[[^\]]+\] 127\.0\.0\.1:\d+ (?<principal>\S+) "GET \/v1\/nodes\/public\/info\?request=(?<i>\d) HTTP\/1\.1" (?<status>\d{3}) \d+ \d+us$/#
            var seen: [Int: (principal: String, status: String)] = [:]
            let logged = fleet.server.process.stdout.wait(timeout: 5) { text in
                seen = [:]
                for line in text.split(separator: "\n") {
                    if let match = String(line).wholeMatch(of: pattern), let i = Int(match.i) {
                        seen[i] = (String(match.principal), String(match.status))
                    }
                }
                return seen.count == requests.count
            }
            #expect(logged, "\(fleet.server.process.stdout.text)")
            for (i, (_, principal)) in requests.enumerated() {
                #expect(seen[i]?.principal == principal, "request \(i): \(String(describing: seen[i]))")
            }
            #expect(seen[0]?.status == "200" && seen[3]?.status == "200" && seen[4]?.status == "401")
        }
    }
}
