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

    /// A string of `count` bytes that JSON carries unescaped.
    static func filler(_ count: Int) -> String { String(repeating: "abcdefgh", count: count / 8) }

    /// Bodies from 64 KiB up are parsed on the server's bulk loop and the handler resumes on
    /// its own loop with them: every JSON route answers exactly as it does for a small body.
    @Test func largeBodiesOfEveryJSONRouteAreServedAsSmallOnesAre() throws {
        let server = try V1Server(["--threads", "1"])
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        let big = Self.filler(300_000)
        // A node write, its read, and a create under it.
        #expect(try client.put("/big", big).status == 201)
        #expect(try client.get("/big").dataText == big)
        #expect(try client.post("/big/child", json: ["data": big, "mode": "persistent"]).status == 201)
        // A transaction whose body is large.
        let txn = try client.txn(["ops": [["op": "set", "path": "/big", "data": big + "x"]]])
        #expect(txn.status == 200, "\(txn.bodyText.prefix(300))")
        #expect(try client.get("/big").dataText == big + "x")
        // A session opened with a body padded past the threshold.
        let padded = "{" + String(repeating: " ", count: 70_000) + "\"ttl\": 20000}"
        let opened = try client.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")],
            body: Array(padded.utf8))
        #expect(opened.status == 201, "\(opened.bodyText)")
        let session = try #require(opened.object["id"] as? String)
        // A registration with a large payload, read back.
        let registered = try client.request("PUT", "/v1/services/api/device-1", headers: [("Content-Type", "application/json")],
            body: jsonBytes(["session": session, "address": "10.0.0.1", "port": 80, "payload": ["blob": big]]))
        #expect(registered.status == 200, "\(registered.bodyText.prefix(300))")
        let instance = try client.request("GET", "/v1/services/api/device-1")
        #expect((instance.object["payload"] as? [String: Any])?["blob"] as? String == big)
        // A large body that is not JSON gets the route's own 400; raw bytes are not parsed.
        let broken = try client.request("PUT", "/v1/nodes/big", headers: [("Content-Type", "application/json")],
            body: Array(("{\"data\":\"" + big).utf8))
        expectProblem(broken, status: 400, type: "invalid-parameter")
        #expect(broken.bodyText.contains("not valid JSON"), "\(broken.bodyText)")
        let raw = Array(("{not json" + big).utf8)
        #expect(try client.putRaw("/big", raw).status == 200)
        #expect(try client.get("/big?encoding=base64").status == 200)
        #expect(try client.get("/big").status == 200)
    }

    /// Clients that leave while their body is being parsed are forgotten: nothing is answered
    /// to them, nothing stays parked, and the loop serves on.
    @Test func clientsLeavingDuringTheParseLeaveNothingBehind() throws {
        let server = try V1Server(["--threads", "1"])
        defer { server.stop() }
        let body = HTTPRequestBytes.make("PUT", "/v1/nodes/gone", headers: [("Content-Type", "application/json")],
            body: Array(("{\"data\":" + Self.manyKeys + "}").utf8))
        for _ in 0..<8 {
            let leaver = try server.connect()
            try leaver.send(body)
            leaver.close()
        }
        let prober = try server.connect()
        #expect(try prober.request("GET", "/healthz").status == 200)
        var parked = -1
        for _ in 0..<100 {
            parked = try prober.parked()
            if parked == 0 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(parked == 0)
        expectProblem(try prober.get("/gone"), status: 404, type: "no-node")
    }

    /// Over HTTP/2 the same: the stream is parked during the parse and answered after.
    @Test(.enabled(if: curlPath != nil, "needs curl")) func aLargeBodyOverHTTP2IsServed() throws {
        let server = try V1Server()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.file("body.json")
        try Data(jsonBytes(["data": Self.filler(200_000)])).write(to: URL(fileURLWithPath: file))
        let put = try runCommand(curlPath!, ["-s", "--http2-prior-knowledge", "-X", "PUT", "-H", "Content-Type: application/json",
            "--data-binary", "@" + file, "-o", "/dev/null", "-w", "%{http_version} %{http_code}", "\(server.base)/v1/nodes/h2big"])
        #expect(put.stdoutText == "2 201", "\(put.stdoutText) \(put.stderr)")
        #expect(try server.connect().get("/h2big").dataText == Self.filler(200_000))
    }
}
