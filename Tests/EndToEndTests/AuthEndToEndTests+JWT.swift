import Foundation
import TestSupport
import Testing

extension AuthEndToEndTests {
    /// Device JWTs on the real binary (`--auth-jwks` with an ES256 and an RS256 key,
    /// `--auth-jwt-issuer`, `--auth-jwt-audience`), signed by openssl.
    @Suite("JWTs", .enabled(if: curlPath != nil, "needs curl"))
    struct JWTs {
        @Test(arguments: [TestSigner.Key.ec, .rsa])
        func aValidTokenNamesItsSubject(key: TestSigner.Key) throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let device = Who.bearer(try fleet.jwt("dev4", key: key))
            let created = try fleet.send("PUT", "/v1/nodes/devices/dev4/status?parents=true", as: device, json: ["data": "dev4 ok"])
            #expect(created.status == 201, "\(key.algorithm): \(created)")
            let read = try fleet.send("GET", "/v1/nodes/devices/dev4/status", as: device, over: .http2)
            #expect(read.status == 200 && read.dataText == "dev4 ok", "\(read)")
            let denied = try fleet.send("GET", "/v1/nodes/devices/dev1/status", as: device)
            expectForbidden(denied, operation: "read", path: "/devices/dev1/status")
            #expect(denied.object["detail"] as? String == "jwt:dev4 may not read /devices/dev1/status.", "\(denied.bodyText)")
            #expect(fleet.server.process.stdout.wait(timeout: 5) { $0.contains(#" jwt:dev4 "PUT /v1/nodes/devices/dev4/status"#) },
                "\(fleet.server.process.stdout.text)")
        }

        /// Every token here names `dev1` and would be allowed to write `/devices/dev1/status` if
        /// it were accepted.
        @Test func tokensThatDoNotVerifyAre401() throws {
            let fleet = try AuthFleet()
            defer { fleet.stop() }
            let signer = fleet.signer
            let now = Int64(Date().timeIntervalSince1970)
            let valid = try fleet.jwt("dev1")
            let unsignedInput = base64url(jsonBytes(["alg": "none", "typ": "JWT"])) + "."
                + base64url(jsonBytes(TestSigner.claims(["sub": "dev1"], at: now)))
            let hsInput = base64url(jsonBytes(["alg": "HS256", "kid": "rsa-1", "typ": "JWT"])) + "."
                + base64url(jsonBytes(TestSigner.claims(["sub": "dev1"], at: now)))
            let refused: [(String, String)] = [
                ("expired", try fleet.jwt("dev1", changes: ["iat": now - 7200, "exp": now - 3600])),
                ("not yet valid", try fleet.jwt("dev1", changes: ["nbf": now + 3600])),
                ("without exp", try fleet.jwt("dev1", changes: ["exp": NSNull()])),
                ("wrong audience", try fleet.jwt("dev1", changes: ["aud": "another-service"])),
                ("wrong issuer", try fleet.jwt("dev1", changes: ["iss": "https://issuer.example.evil"])),
                ("signed by another key under the configured kid", try fleet.jwt("dev1", key: .ec2, header: ["kid": "ec-1"])),
                ("a key the JWKS does not hold", try fleet.jwt("dev1", key: .ed)),
                ("tampered payload", replacingPart(try fleet.jwt("dev2"), 1,
                    with: base64url(jsonBytes(TestSigner.claims(["sub": "dev1"], at: now))))),
                ("tampered signature", replacingPart(valid, 2, with: base64url([UInt8](repeating: 7, count: 64)))),
                ("alg none", unsignedInput + "."),
                ("alg none with a signature", unsignedInput + "." + base64url(try signer.sign(Array(unsignedInput.utf8), with: .ec))),
                ("HS256 keyed with the RSA public key", hsInput + "." + base64url(try signer.hmac(Array(hsInput.utf8),
                    secret: signer.rsaPublicPEM))),
            ]
            for (name, token) in refused {
                for wire in Wire.allCases {
                    let response = try fleet.send("PUT", "/v1/nodes/devices/dev1/status", as: .bearer(token),
                        json: ["data": name], over: wire)
                    expectUnauthorized(response, type: "invalid-token")
                    #expect(response.status == 401, "\(name) over \(wire)")
                }
            }
            #expect(try fleet.asOperator("GET", "/v1/nodes/devices/dev1/status").dataText == "dev1 ok")
            // The same device with a good token is let in (the refusals above were the tokens').
            #expect(try fleet.send("PUT", "/v1/nodes/devices/dev1/status", as: .bearer(valid), json: ["data": "ok"]).status == 200)
        }
    }
}
