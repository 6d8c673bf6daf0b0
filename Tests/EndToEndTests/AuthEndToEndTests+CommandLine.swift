import Foundation
import TestSupport
import Testing

extension AuthEndToEndTests {
    /// `zkgate auth hash-token` and `zkgate auth explain`: their output and exit codes.
    @Suite("zkgate auth")
    struct CommandLine {
        /// `zkgate auth hash-token` with `input` on standard input (through a shell pipe: the
        /// spawn helpers give children /dev/null).
        static func hashToken(_ input: String) throws -> CommandResult {
            try runCommand("/bin/sh", ["-c", #"printf '%s' "$1" | "$0" auth hash-token"#, try ZKGateProcess.binaryPath(), input])
        }

        static func explain(_ arguments: [String]) throws -> CommandResult {
            try runCommand(try ZKGateProcess.binaryPath(), ["auth", "explain"] + arguments)
        }

        static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

        @Test func hashTokenPrintsTheSHA256OfStandardInput() throws {
            let signer = try AuthFleet.signers.get()
            let token = "ci-Hq3vN8rT2wLk5Zp0_~.-"
            let expected = Self.hex(try signer.sha256(Array(token.utf8))) + "\n"
            for input in [token, token + "\n", token + "\r\n"] {
                let result = try Self.hashToken(input)
                #expect(result.status == 0 && result.stdoutText == expected,
                    "\(input.debugDescription): \(result.stdoutText) \(result.stderr)")
            }
            for (input, message) in [("", "no token"), ("\n", "no token"), ("two words", "visible ASCII"), ("tab\there", "visible ASCII"),
                                     ("caf\u{E9}", "visible ASCII")] {
                let result = try Self.hashToken(input)
                #expect(result.status != 0 && result.stdoutText.isEmpty, "\(input.debugDescription): \(result.stdoutText)")
                #expect(result.stderr.contains(message), "\(input.debugDescription): \(result.stderr)")
            }
        }

        /// The digest printed is the one a policy takes: the token it came from is let in.
        @Test(.enabled(if: curlPath != nil, "needs curl"))
        func aHashedTokenIsLetInByTheServer() throws {
            let token = "deploy-Wf4pQ9xZ1rT6yU3o"
            let printed = try Self.hashToken(token)
            let digest = printed.stdoutText.trimmingCharacters(in: .newlines)
            #expect(printed.status == 0 && digest.count == 64)
            var policy = try AuthFleet.policy(grants: AuthFleet.fleetGrants
                + [["who": ["token:deploy"], "allow": ["write"], "paths": ["/releases/**"]]])
            policy["tokens"] = (policy["tokens"] as! [[String: String]]) + [["id": "deploy", "sha256": digest]]
            let fleet = try AuthFleet(policy: policy)
            defer { fleet.stop() }
            #expect(try fleet.send("PUT", "/v1/nodes/releases/7?parents=true", as: .bearer(token), json: ["data": "7"]).status == 201)
            expectUnauthorized(try fleet.send("PUT", "/v1/nodes/releases/8?parents=true", as: .bearer(digest), json: ["data": "8"]),
                type: "invalid-token")
            #expect(fleet.server.process.stdout.wait(timeout: 5) { $0.contains(#" token:deploy "PUT /v1/nodes/releases/7"#) })
        }

        @Test func explainNamesTheGrantThatDecidesAndExitsOneWhenDenied() throws {
            let folder = try TemporaryDirectory(prefix: "zkgate-auth-explain")
            let policy = folder.file("policy.json")
            try AuthFleet.write(jsonBytes(try AuthFleet.policy()), to: policy)
            let allowed: [([String], String)] = [
                (["--who", "cert:dev1", "--op", "write", "--path", "/devices/dev1/status"],
                 #"allowed: grants[1].paths[0] "/devices/{name}/**" of "#),
                (["--who", "jwt:dev3", "--op", "read", "--path", "/firmware/current"],
                 #"allowed: grants[2].paths[1] "/firmware/current" of "#),
                (["--who", "cert:dev1", "--op", "lock", "--path", "/locks/printers/3"],
                 #"allowed: grants[3].paths[0] "/locks/printers/*" of "#),
                (["--who", "anonymous", "--op", "read", "--path", "/public/info"], #"allowed: grants[6].paths[0] "/public/**" of "#),
                (["--who", "token:ops", "--op", "lock", "--path", "/anything"], #"allowed: grants[0].paths[0] "/**" of "#),
            ]
            for (arguments, prefix) in allowed {
                let result = try Self.explain(["--policy", policy] + arguments)
                #expect(result.status == 0, "\(arguments): \(result.stdoutText) \(result.stderr)")
                #expect(result.stdoutText.hasPrefix(prefix), "\(arguments): \(result.stdoutText)")
            }
            let implied = try Self.explain(["--policy", policy, "--who", "token:ops", "--op", "lock", "--path", "/anything"])
            #expect(implied.stdoutText.contains("allows lock on /anything for token:ops (admin implies lock)"), "\(implied.stdoutText)")

            let denied: [([String], String)] = [
                (["--who", "cert:dev1", "--op", "write", "--path", "/devices/dev2/status"],
                 "denied: no grant allows write on /devices/dev2/status for cert:dev1\n"),
                (["--who", "jwt:dev3", "--op", "read", "--path", "/firmware/next"],
                 "denied: no grant allows read on /firmware/next for jwt:dev3\n"),
                (["--who", "anonymous", "--op", "write", "--path", "/public/info"],
                 "denied: no grant allows write on /public/info for anonymous\n"),
                (["--who", "cert:dev1", "--op", "read", "--path", "/public/info"],
                 "denied: no grant allows read on /public/info for cert:dev1\n"),
            ]
            for (arguments, text) in denied {
                let result = try Self.explain(["--policy", policy] + arguments)
                #expect(result.status == 1 && result.stdoutText == text,
                    "\(arguments): \(result.status) \(result.stdoutText) \(result.stderr)")
            }
            let traversal = try Self.explain(["--policy", policy, "--who", "cert:dev1", "--op", "write", "--path", "/devices/dev1/../dev2"])
            #expect(traversal.status == 1 && traversal.stdoutText.contains("not a normalized znode path"), "\(traversal.stdoutText)")

            // Mistakes in the question are usage errors, not denials.
            let broken = folder.file("broken.json")
            try AuthFleet.write(Array(#"{"grants":[{"who":["cert:*"],"allows":["read"],"paths":["/x"]}]}"#.utf8), to: broken)
            for (arguments, message) in [
                (["--policy", policy, "--who", "cert:dev/1", "--op", "read", "--path", "/x"], "--who"),
                (["--policy", policy, "--who", "root", "--op", "read", "--path", "/x"], "--who"),
                (["--policy", policy, "--who", "cert:dev1", "--op", "delete", "--path", "/x"], "--op"),
                (["--policy", broken, "--who", "cert:dev1", "--op", "read", "--path", "/x"], "grants[0].allows"),
                (["--policy", folder.file("missing.json"), "--who", "cert:dev1", "--op", "read", "--path", "/x"], "missing.json"),
            ] {
                let result = try Self.explain(arguments)
                #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
                #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            }
        }
    }
}
