import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension AuthEndToEndTests {
    /// The policy and JWKS files: read at start-up (a bad one stops it, naming the field) and on
    /// SIGHUP (a bad one keeps the previous policy in force, with an error line).
    @Suite("Policy files", .enabled(if: curlPath != nil, "needs curl"))
    struct PolicyFiles {
        /// Sends SIGHUP and waits for the `count`-th line holding `marker` on stderr.
        static func reload(_ fleet: AuthFleet, expecting marker: String) -> Bool {
            let count = fleet.server.process.stderr.text.components(separatedBy: marker).count
            fleet.server.process.signal(SIGHUP)
            return fleet.server.process.stderr.wait(timeout: 10) { $0.components(separatedBy: marker).count > count }
        }

        static let reloaded = "SIGHUP: reloaded the access policy"
        static let kept = "SIGHUP: kept the previous access policy"

        @Test func sighupPutsAPolicyChangeInForceWithoutARestart() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let pid = fleet.server.pid
            let dev1 = Who.cert("dev1")
            let ci = "ci-Hq3vN8rT2wLk5Zp0"
            expectUnauthorized(try fleet.send("GET", "/v1/nodes/firmware/next", as: .anonymous))
            expectForbidden(try fleet.send("GET", "/v1/nodes/firmware/next", as: dev1), operation: "read", path: "/firmware/next")
            expectUnauthorized(try fleet.send("PUT", "/v1/nodes/ci/build?parents=true", as: .bearer(ci), json: ["data": "1"]),
                type: "invalid-token")
            #expect(try fleet.send("GET", "/v1/nodes/public/info", as: .anonymous).status == 200)
            // An open connection keeps working across the reload, under the new policy.
            let kept = try fleet.server.connect()
            #expect(try kept.request("GET", "/v1/nodes/public/info").status == 200)

            // Firmware for everyone, /public no longer anonymous, and a CI token for /ci.
            var grants = AuthFleet.fleetGrants.filter { ($0["who"] as? [String]) != ["anonymous"] }
            grants.append(["who": ["anonymous", "cert:*"], "allow": ["read"], "paths": ["/firmware/**"]])
            grants.append(["who": ["token:ci"], "allow": ["read", "write"], "paths": ["/ci/**"]])
            try AuthFleet.write(jsonBytes(try AuthFleet.policy(grants: grants, tokens: ["ops": AuthFleet.operatorToken, "ci": ci])),
                to: fleet.policyFile)
            #expect(Self.reload(fleet, expecting: Self.reloaded), "\(fleet.server.process.stderr.text)")

            #expect(try fleet.send("GET", "/v1/nodes/firmware/next", as: .anonymous).dataText == "2.0.0-beta")
            #expect(try fleet.send("GET", "/v1/nodes/firmware/next", as: dev1).dataText == "2.0.0-beta")
            #expect(try fleet.send("GET", "/v1/nodes/firmware/next", as: .anonymous, over: .http2).status == 200)
            expectUnauthorized(try fleet.send("GET", "/v1/nodes/public/info", as: .anonymous))
            expectUnauthorized(try kept.request("GET", "/v1/nodes/public/info"))
            #expect(try fleet.send("PUT", "/v1/nodes/ci/build?parents=true", as: .bearer(ci), json: ["data": "1"]).status == 201)
            expectForbidden(try fleet.send("GET", "/v1/nodes/devices/dev1/status", as: .bearer(ci)),
                operation: "read", path: "/devices/dev1/status")
            #expect(try fleet.send("PUT", "/v1/nodes/devices/dev1/status", as: dev1, json: ["data": "after"]).status == 200)
            #expect(fleet.server.pid == pid && fleet.server.process.exitStatus == nil, "the same process served throughout")
        }

        @Test func aBrokenFileOnSighupKeepsThePreviousPolicy() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let dev1 = Who.cert("dev1")
            let dev3 = Who.bearer(try fleet.jwt("dev3"))
            /// The fleet policy's decisions, which must hold after every failed reload.
            func decidedAsBefore(_ sourceLocation: SourceLocation = #_sourceLocation) throws {
                #expect(try fleet.send("GET", "/v1/nodes/public/info", as: .anonymous).status == 200, sourceLocation: sourceLocation)
                expectUnauthorized(try fleet.send("GET", "/v1/nodes/secret/plans", as: .anonymous), sourceLocation: sourceLocation)
                #expect(try fleet.send("PUT", "/v1/nodes/devices/dev1/status", as: dev1, json: ["data": "up"]).status == 200,
                    sourceLocation: sourceLocation)
                expectForbidden(try fleet.send("GET", "/v1/nodes/devices/dev2/status", as: dev1), operation: "read",
                    path: "/devices/dev2/status", sourceLocation: sourceLocation)
                #expect(try fleet.send("GET", "/v1/nodes/devices/dev3/status", as: dev3).status == 200, sourceLocation: sourceLocation)
                #expect(try fleet.asOperator("GET", "/v1/nodes/secret/plans").status == 200, sourceLocation: sourceLocation)
            }
            try decidedAsBefore()
            let good = try Data(contentsOf: URL(fileURLWithPath: fleet.policyFile))
            // Each would open everything to anonymous requests if it were half-read.
            let broken: [(file: String, text: String, field: String)] = [
                (fleet.policyFile, #"{"grants":[{"who":["anonymous"],"allows":["admin"],"paths":["/**"]}]}"#, "grants[0].allows"),
                (fleet.policyFile, #"{"grants":[{"who":["anonymous"],"allow":["everything"],"paths":["/**"]}]}"#, "grants[0].allow[0]"),
                (fleet.policyFile, #"{"grants":[{"who":["anonymous"],"allow":["admin"],"paths":["/**/x"]}]}"#, "grants[0].paths[0]"),
                (fleet.policyFile, #"{"grants":[{"who":["anonymous"],"allow":["admin"],"paths":["/**"]}"#, "not JSON"),
                (fleet.policyFile, #"{"tokens":[{"id":"ops","sha256":"00"}],"grants":[]}"#, "tokens[0].sha256"),
                (fleet.jwksFile, #"{"keys":"none"}"#, fleet.jwksFile),
            ]
            for (file, text, field) in broken {
                let previous = try Data(contentsOf: URL(fileURLWithPath: file))
                try AuthFleet.write(Array(text.utf8), to: file)
                #expect(Self.reload(fleet, expecting: Self.kept), "\(field): \(fleet.server.process.stderr.text)")
                let line = fleet.server.process.stderr.lines.last { $0.contains(Self.kept) } ?? ""
                #expect(line.contains(field) && line.contains(file), "\(line)")
                try decidedAsBefore()
                try AuthFleet.write([UInt8](previous), to: file)
            }
            // A missing file too.
            try FileManager.default.removeItem(atPath: fleet.policyFile)
            #expect(Self.reload(fleet, expecting: Self.kept))
            try decidedAsBefore()
            // And a good file after all that is put in force.
            try AuthFleet.write([UInt8](good), to: fleet.policyFile)
            #expect(Self.reload(fleet, expecting: Self.reloaded))
            try decidedAsBefore()
            #expect(fleet.server.process.exitStatus == nil)
        }

        @Test func aBrokenFileAtStartUpExitsNamingTheField() throws {
            let folder = try TemporaryDirectory(prefix: "zkgate-auth-start")
            let signer = try AuthFleet.signers.get()
            let jwks = folder.file("jwks.json")
            try AuthFleet.write(signer.jwks([.ec]), to: jwks)
            let valid = folder.file("valid.json")
            try AuthFleet.write(jsonBytes(try AuthFleet.policy()), to: valid)
            let brokenJWKS = folder.file("broken-jwks.json")
            try AuthFleet.write(Array(#"{"keys":[{"kty":"EC","crv":"P-256","x":"AA"}]}"#.utf8), to: brokenJWKS)
            var cases: [(arguments: [String], expected: [String])] = []
            for (i, (text, field)) in [
                (#"{"grants":[{"who":["cert:*"],"allows":["read"],"paths":["/x"]}]}"#, "grants[0].allows"),
                (#"{"grants":[{"who":["cert:*"],"allow":["rite"],"paths":["/x"]}]}"#, "grants[0].allow[0]"),
                (#"{"grants":[{"who":["cert:*"],"allow":["read"],"paths":["/x/**/y"]}]}"#, "grants[0].paths[0]"),
                (#"{"grants":[{"who":["cert:dev/1"],"allow":["read"],"paths":["/x"]}]}"#, "grants[0].who[0]"),
                (#"{"grants":[{"who":["token:nobody"],"allow":["read"],"paths":["/x"]}]}"#, "grants[0].who[0]"),
                (#"{"tokens":[{"id":"ops","sha256":"abc"}]}"#, "tokens[0].sha256"),
                (#"{"grants":[{"who":["anonymous"],"allow":["read"],"paths":["/x"]}],"grant":[]}"#, "grant"),
                ("not json", "not JSON"),
            ].enumerated() {
                let file = folder.file("policy-\(i).json")
                try AuthFleet.write(Array(text.utf8), to: file)
                cases.append((["--auth-policy", file], [file, field]))
            }
            cases.append((["--auth-policy", folder.file("missing.json")], [folder.file("missing.json")]))
            cases.append((["--auth-policy", valid, "--auth-jwks", brokenJWKS], [brokenJWKS]))
            cases.append((["--auth-jwks", jwks], ["--auth-jwks needs --auth-policy"]))
            for (arguments, expected) in cases {
                let data = try TemporaryDirectory(prefix: "zkgate-auth-start-data")
                let result = try runCommand(try ZKGateProcess.binaryPath(),
                    ["serve", "--listen", "127.0.0.1:0", "--data-dir", data.path] + arguments, timeout: 10)
                #expect(result.status == 1, "\(arguments): \(result.stderr)")
                let output = result.stderr + result.stdoutText
                for text in expected { #expect(output.contains(text), "\(arguments): expected \(text) in \(output)") }
                #expect(!output.contains("listening"), "\(output)")
            }
        }
    }
}
