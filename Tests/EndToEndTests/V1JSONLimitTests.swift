import Foundation
import TestSupport
import Testing

/// JSON bodies against the real binary: a body with 100,000 keys (under the 1 MiB body limit)
/// once froze its event loop for most of a minute while the parser looked for duplicate names.
@Suite("End to end: JSON body limits")
struct V1JSONLimitTests {
    /// `{"0":0,"1":0,...,"99999":0}`: 988,892 bytes.
    static let manyKeys: String = "{" + (0..<100_000).map { "\"\($0)\":0" }.joined(separator: ",") + "}"

    /// The body is refused with 413 json-too-complex naming maxMembers, and a second
    /// connection on the same (only) event loop keeps being answered meanwhile. The bound on
    /// each /healthz is generous: it tells a loop that answers from one frozen for seconds.
    @Test func manyKeysAreRefusedAndTheLoopKeepsAnswering() throws {
        let server = try V1Server(["--threads", "1"])
        defer { server.stop() }
        let bodies: [(String, [UInt8])] = [
            ("/v1/services/api/device-7", Array(Self.manyKeys.utf8)),
            ("/v1/nodes/config", Array(("{\"data\":" + Self.manyKeys + "}").utf8)),
        ]
        let poster = try server.connect(timeout: 120)
        let prober = try server.connect(timeout: 5)
        #expect(try prober.request("GET", "/healthz").status == 200)
        for (target, body) in bodies {
            #expect(body.count < 1 << 20)
            try poster.send(HTTPRequestBytes.make("PUT", target, headers: [("Content-Type", "application/json")], body: body))
            // Whether the body is still arriving or being parsed, the loop answers others.
            for _ in 0..<10 {
                #expect(try prober.request("GET", "/healthz", timeout: 5).bodyText == healthzBody)
            }
            let answer = try poster.readResponse(method: "PUT")
            expectProblem(answer, status: 413, type: "json-too-complex")
            #expect(answer.json?["limit"] as? String == "maxMembers", "\(answer.bodyText)")
            #expect(intValue(answer.json?["max"]) == 10_000, "\(answer.bodyText)")
            #expect(answer.json?["field"] as? String == "body", "\(answer.bodyText)")
            #expect(answer.header("Connection") != "close")
        }
        // Nothing was written, and both connections are still served.
        expectProblem(try poster.request("GET", "/v1/nodes/config"), status: 404, type: "no-node")
        #expect(try prober.request("GET", "/healthz").status == 200)
    }
}
