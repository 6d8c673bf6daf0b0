import Foundation
import TestSupport
import Testing

extension AuthEndToEndTests {
    /// Nacos #4701: `/nacos/v1/auth/users/?...` with a trailing `/` missed the check for the route
    /// without it. Here each spelling of a path is either decided on the znode path the handler
    /// will touch, or refused 400 before anything is touched; targets go out byte for byte (a raw
    /// socket, or curl `--path-as-is`).
    @Suite("Path spellings", .enabled(if: curlPath != nil, "needs curl"))
    struct PathSpellings {
        static var writes: [(method: String, target: String, body: Any?)] { [
            ("PUT", "/v1/nodes/devices/dev2/status/", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev1/../dev2/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev1/%2E%2E/dev2/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev1/%2e%2e%2fdev2/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev1%2F..%2Fdev2/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices%2Fdev2/status", ["data": "owned"]),
            ("PUT", "/v1/nodes//devices/dev2/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices//dev2/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/./dev2/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev2/./status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev2/status%00", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev2/status?path=/devices/dev1/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev2/status#/devices/dev1/status", ["data": "owned"]),
            ("PUT", "/v1/nodes/devices/dev2/status;/devices/dev1", ["data": "owned"]),
            ("DELETE", "/v1/nodes/devices/dev2/status/", nil),
            ("DELETE", "/v1/nodes/devices/dev1/../dev2/status", nil),
            ("DELETE", "/v1/nodes/devices/dev1/..%2Fdev2?recursive=true", nil),
            // A sequential create's prefix may end in `/`, `.` or `..`: the node is created below it.
            ("POST", "/v1/nodes/devices/dev2/", ["data": "owned", "mode": "persistent_sequential"]),
            ("POST", "/v1/nodes/devices/dev2/?mode=persistent_sequential", nil),
            ("POST", "/v1/nodes/devices/dev2/..", ["data": "owned", "mode": "persistent_sequential"]),
            ("POST", "/v1/nodes/devices/dev2/.", ["data": "owned", "mode": "persistent_sequential"]),
            ("POST", "/v1/nodes/devices/dev1/../dev2/", ["data": "owned", "mode": "persistent_sequential"]),
            ("POST", "/v1/txn", ["ops": [["op": "create", "path": "/devices/dev2/", "data": "owned", "mode": "persistent_sequential"]]]),
            ("POST", "/v1/txn", ["ops": [["op": "create", "path": "/devices/dev1/../dev2/x", "data": "owned"]]]),
            ("POST", "/v1/locks/printers/1/..", ["session": "0000000000000001", "wait": "0s"]),
            ("PUT", "/v1/services/api/dev1%2F..%2Fdev2", ["session": "0000000000000001", "address": "10.0.0.1", "port": 1]),
        ] }

        /// Percent-encoded segments decode to the same route and the same path, and are decided
        /// as that path.
        static let encoded: [(target: String, path: String)] = [
            ("/v1/node%73/devices/dev2/status", "/devices/dev2/status"),
            ("/v1/%6Eodes/devices/dev2/status", "/devices/dev2/status"),
            ("/v1/nodes/devices/dev%32/status", "/devices/dev2/status"),
            ("/v1/nodes/%64evices/dev2/status", "/devices/dev2/status"),
            ("/v1/nodes/devices/dev2/st%61tus", "/devices/dev2/status"),
            ("/v1/nodes/%64%65%76%69%63%65%73/%64%65%76%32/status", "/devices/dev2/status"),
        ]

        @Test(arguments: Wire.allCases)
        func noSpellingReachesAnotherDevicesNodes(over wire: Wire) throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let before = try fleet.snapshot()
            for who in [Who.bearer(try fleet.jwt("dev1")), .cert("dev1")] {
                for (method, target, body) in Self.writes {
                    let response = try fleet.send(method, target, as: who, json: body, over: wire)
                    #expect([400, 403].contains(response.status), "\(who) \(method) \(target) over \(wire): \(response)")
                }
                for (target, path) in Self.encoded {
                    let response = try fleet.send("PUT", target, as: who, json: ["data": "owned"], over: wire)
                    expectForbidden(response, operation: "write", path: path)
                }
            }
            for (method, target, body) in Self.writes {
                let response = try fleet.send(method, target, as: .anonymous, json: body, over: wire)
                #expect([400, 401].contains(response.status), "anonymous \(method) \(target) over \(wire): \(response)")
            }
            #expect(try fleet.snapshot() == before, "nothing was written anywhere")
        }

        /// A prefix ending in `/` names the node the sequence number completes: it is decided
        /// as that node, for the devices that may create it and for those that may not.
        @Test func aSequentialCreateIsDecidedOnTheNodeItCreates() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let dev1 = Who.cert("dev1")
            _ = try fleet.openSession(as: dev1)  // /zkgate/owners now holds its owner record
            let before = try fleet.snapshot()
            expectForbidden(try fleet.send("POST", "/v1/nodes/devices/dev2/", as: dev1, json: ["mode": "persistent_sequential"]),
                operation: "write", path: "/devices/dev2/")
            expectForbidden(try fleet.send("POST", "/v1/nodes/devices/dev2/..", as: dev1, json: ["mode": "persistent_sequential"]),
                operation: "write", path: "/devices/dev2/..")
            expectForbidden(try fleet.send("POST", "/v1/txn", as: dev1,
                json: ["ops": [["op": "create", "path": "/devices/dev2/", "mode": "persistent_sequential"]]]),
                operation: "write", path: "/devices/dev2/")
            expectUnauthorized(try fleet.send("POST", "/v1/nodes/public/", as: .anonymous, json: ["mode": "persistent_sequential"]))
            expectUnauthorized(try fleet.send("POST", "/v1/nodes/public/?mode=persistent_sequential", as: .anonymous))
            for target in ["/v1/nodes/zkgate/?parents=true", "/v1/nodes/zkgate/owners/..", "/v1/nodes/zookeeper/?parents=true"] {
                expectProblem(try fleet.asOperator("POST", target, json: ["mode": "persistent_sequential"]),
                    status: 403, type: "internal-node")
            }
            #expect(try fleet.snapshot() == before, "nothing was written")
            // Where the device may write, the same request creates the node.
            let created = try fleet.send("POST", "/v1/nodes/devices/dev1/", as: dev1, json: ["data": "e", "mode": "persistent_sequential"])
            #expect(created.status == 201, "\(created)")
            let path = try #require(created.nodePath)
            #expect(path.hasPrefix("/devices/dev1/") && path.count == "/devices/dev1/".count + 10, "\(path)")
            let queued = try fleet.asOperator("POST", "/v1/nodes/devices/dev2/", json: ["mode": "persistent_sequential"])
            #expect(queued.status == 201, "\(queued)")
            let transaction = try fleet.send("POST", "/v1/txn", as: dev1,
                json: ["ops": [["op": "create", "path": "/devices/dev1/", "mode": "persistent_sequential"]]])
            #expect(transaction.status == 200, "\(transaction)")
        }

        /// The internal subtrees are refused to a sequential create without a policy too.
        @Test func aSequentialPrefixDoesNotReachTheInternalSubtreesWithoutAPolicy() throws {
            let server = try V1Server()
            defer { server.stop() }
            let client = try server.connect()
            for target in ["/zkgate/?parents=true", "/zkgate/sessions/?parents=true", "/zookeeper/.?parents=true"] {
                expectProblem(try client.post(target, json: ["mode": "persistent_sequential"]), status: 403, type: "internal-node")
            }
            #expect(try client.get("/zkgate").status == 404)
            #expect(try client.post("/queue/?parents=true", json: ["mode": "persistent_sequential"]).status == 201)
        }
    }
}
