import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Long-polls where the process matters: parked requests in /metrics, the connection reused
/// after one, waits timed on the wire, cancelled by a client that closes its socket, limited by
/// `--max-parked`, pipelined, hundreds of sockets, answered at shutdown. What the routes answer
/// is in GatewayAPITests (LongPollRouteTests, NodeLongPollRouteTests).
@Suite("End to end: /v1 long-polls")
struct V1LongPollTests {
    /// Sends a GET without reading its answer.
    func startPoll(_ client: RawHTTPClient, _ node: String, headers: [(String, String)] = []) throws {
        try client.send(HTTPRequestBytes.make("GET", "/v1/nodes" + node, headers: headers))
    }

    /// Waits until the server holds `count` parked requests.
    func expectParked(_ metrics: RawHTTPClient, _ count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var now = -1
        let reached = try eventually(timeout: 5) {
            now = try metrics.parked()
            return now == count
        }
        #expect(reached, "parked requests: \(now), expected \(count)", sourceLocation: sourceLocation)
    }

    @Test func wokenByAWriteFromAnotherClient() throws {
        let server = try V1Server()
        defer { server.stop() }
        let writer = try server.connect()
        let metrics = try server.connect()
        let first = try writer.put("/lp", "before")
        let index = try #require(first.zkIndex)
        let poller = try server.connect()
        try startPoll(poller, "/lp?index=\(index)&wait=20s")
        try expectParked(metrics, 1)
        // Not answered before the write.
        #expect(!poller.waitForInput(timeout: 0.3), "the long-poll answered before any write")
        let sent = monotonicSeconds()
        let write = try writer.put("/lp", "after")
        #expect(write.status == 200)
        let answer = try poller.readResponse(timeout: 5)
        let elapsed = monotonicSeconds() - sent
        #expect(elapsed < 2, "the long-poll answered \(elapsed) s after the write")
        #expect(answer.status == 200)
        #expect(answer.dataText == "after")
        #expect(answer.etag == write.etag)
        #expect(try #require(answer.zkIndex) >= write.zkIndex ?? .max)
        try expectParked(metrics, 0)
        // The connection is reusable, and an index already passed answers at once.
        let again = try poller.get("/lp?index=\(index)&wait=20s", timeout: 2)
        #expect(again.dataText == "after")
    }

    @Test func timeoutAnswersTheUnchangedState() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let put = try client.put("/still", "same")
        let index = try #require(put.zkIndex)
        var started = monotonicSeconds()
        let byIndex = try client.get("/still?index=\(index)&wait=1s", timeout: 5)
        var elapsed = monotonicSeconds() - started
        #expect(byIndex.status == 200)
        #expect(byIndex.dataText == "same")
        #expect(byIndex.etag == put.etag)
        #expect(elapsed >= 0.95 && elapsed < 3.5, "answered after \(elapsed) s for wait=1s")

        started = monotonicSeconds()
        let byETag = try client.get("/still", headers: [("If-None-Match", put.etag!), ("Prefer", "wait=1")], timeout: 5)
        elapsed = monotonicSeconds() - started
        #expect(byETag.status == 304)
        #expect(byETag.body.isEmpty)
        #expect(byETag.etag == put.etag)
        #expect(byETag.zkIndex != nil)
        #expect(elapsed >= 0.95 && elapsed < 3.5, "answered after \(elapsed) s for Prefer: wait=1")

        // The wait may be given in ms, too.
        started = monotonicSeconds()
        let short = try client.get("/still?index=\(index)&wait=300ms", timeout: 5)
        elapsed = monotonicSeconds() - started
        #expect(short.status == 200)
        #expect(elapsed >= 0.28 && elapsed < 2.5, "answered after \(elapsed) s for wait=300ms")
    }

    @Test func clientDisconnectCancelsTheLongPoll() throws {
        let server = try V1Server()
        defer { server.stop() }
        let metrics = try server.connect()
        let writer = try server.connect()
        let index = try #require(try writer.put("/gone", "x").zkIndex)
        let abandonedBefore = try metrics.metric("zkgate_http_parked_abandoned_total")
        for abortive in [false, true] {
            let poller = try server.connect()
            try startPoll(poller, "/gone?index=\(index)&wait=30s")
            try expectParked(metrics, 1)
            if abortive { poller.abort() } else { poller.close() }
            try expectParked(metrics, 0)
        }
        var abandoned = -1
        #expect(try eventually(timeout: 3) {
            abandoned = try metrics.metric("zkgate_http_parked_abandoned_total")
            return abandoned == abandonedBefore + 2
        }, "abandoned \(abandoned), before \(abandonedBefore)")
        // A later write finds no stale waiter, and the server still serves.
        #expect(try writer.put("/gone", "y").status == 200)
        #expect(try writer.get("/gone").dataText == "y")
        #expect(try metrics.parked() == 0)
        #expect(try eventually(timeout: 3) { try metrics.metric("zkgate_http_connections_open") == 2 })
    }

    @Test func maxParkedRefusesTheThirdWith429() throws {
        let server = try V1Server(["--max-parked", "2", "--threads", "1"])
        defer { server.stop() }
        let metrics = try server.connect()
        let writer = try server.connect()
        let index = try #require(try writer.put("/busy", "0").zkIndex)
        let pollers = try (0..<2).map { _ in try server.connect() }
        for poller in pollers { try startPoll(poller, "/busy?index=\(index)&wait=20s") }
        try expectParked(metrics, 2)
        let third = try server.connect()
        let refused = try third.get("/busy?index=\(index)&wait=20s", timeout: 3)
        expectProblem(refused, status: 429, type: "too-many-waiters")
        #expect(refused.header("Retry-After") == "1")
        // Other requests are still served, including a GET that does not wait.
        #expect(try third.get("/busy").status == 200)
        #expect(try writer.put("/busy", "1").status == 200)
        for poller in pollers { #expect(try poller.readResponse(timeout: 3).dataText == "1") }
        try expectParked(metrics, 0)
        // Room again.
        let newIndex = try #require(try writer.get("/busy").zkIndex)
        try startPoll(third, "/busy?index=\(newIndex)&wait=20s")
        try expectParked(metrics, 1)
        #expect(try writer.put("/busy", "2").status == 200)
        #expect(try third.readResponse(timeout: 3).dataText == "2")
    }

    /// `--max-parked` is "long-polls parked at once in this process"; split over the loops it
    /// must not refuse while fewer than that many are parked.
    @Test
    func maxParkedCountsTheWholeProcess() throws {
        let server = try V1Server(["--max-parked", "3", "--threads", "2"])
        defer { server.stop() }
        let metrics = try server.connect()
        let writer = try server.connect()
        let index = try #require(try writer.put("/busy", "0").zkIndex)
        var pollers: [RawHTTPClient] = []
        for i in 0..<3 {
            let poller = try server.connect()
            try startPoll(poller, "/busy?index=\(index)&wait=20s")
            if poller.waitForInput(timeout: 0.3) {
                let answer = try poller.readResponse()
                Issue.record("long-poll \(i + 1) of 3 was answered: \(answer)")
            }
            pollers.append(poller)
        }
        try expectParked(metrics, 3)
    }

    /// A long-poll pipelined behind one that a write answers is parked while that write's
    /// wake-up is still walking the waiters of the same node; the next write must wake it.
    @Test
    func pipelinedLongPollParkedDuringAWakeIsWokenByTheNextWrite() throws {
        let server = try V1Server(["--threads", "1"])
        defer { server.stop() }
        let metrics = try server.connect()
        let writer = try server.connect()
        let index = try #require(try writer.put("/n", "0").zkIndex)
        // A waiter the next write does not satisfy, so the wake-up keeps it.
        let patient = try server.connect()
        try startPoll(patient, "/n?index=1000000000&wait=20s")
        try expectParked(metrics, 1)
        // Two pipelined long-polls: the first is answered by the next write (index + 1), the
        // second then waits for the write after it.
        let pipelined = try server.connect()
        try pipelined.send(HTTPRequestBytes.make("GET", "/v1/nodes/n?index=\(index)&wait=20s")
            + HTTPRequestBytes.make("GET", "/v1/nodes/n?index=\(index + 1)&wait=5s"))
        try expectParked(metrics, 2)
        let first = try writer.put("/n", "1")
        #expect(first.zkIndex == index + 1)
        #expect(try pipelined.readResponse(timeout: 3).dataText == "1")
        try expectParked(metrics, 2)
        sleepSeconds(0.1)
        let sent = monotonicSeconds()
        #expect(try writer.put("/n", "2").status == 200)
        let second: HTTPTestResponse
        do {
            second = try pipelined.readResponse(timeout: 8)
        } catch {
            let state = server.process.waitForExit(timeout: 2).map { "\($0)" } ?? "still running"
            Issue.record("no answer to the second pipelined long-poll (\(error)); server \(state): \(server.process.stderr.text.suffix(400))")
            return
        }
        let elapsed = monotonicSeconds() - sent
        #expect(second.dataText == "2")
        #expect(elapsed < 2, "the second pipelined long-poll answered \(elapsed) s after the write that changed its node")
        #expect(!patient.hasPendingInput)
        #expect(server.process.exitStatus == nil)
    }

    @Test func twoHundredLongPollsWokenByOneWrite() throws {
        let server = try V1Server(["--access-log", "off"])
        defer { server.stop() }
        let metrics = try server.connect()
        let writer = try server.connect()
        let written = try writer.put("/many", "old")
        let index = try #require(written.zkIndex)
        let etag = try #require(written.etag)
        let pollers = try (0..<200).map { _ in try server.connect() }
        for (i, poller) in pollers.enumerated() {
            // Both kinds of condition, on the same node.
            if i % 2 == 0 {
                try startPoll(poller, "/many?index=\(index)&wait=30s")
            } else {
                try startPoll(poller, "/many", headers: [("If-None-Match", etag), ("Prefer", "wait=30")])
            }
        }
        try expectParked(metrics, 200)
        #expect(!pollers.contains { $0.hasPendingInput }, "a long-poll answered before the write")
        let sent = monotonicSeconds()
        let write = try writer.put("/many", "new")
        #expect(write.status == 200)
        var wrong: [String] = []
        for (i, poller) in pollers.enumerated() {
            let answer = try poller.readResponse(timeout: 5)
            if answer.status != 200 || answer.dataText != "new" || answer.etag != write.etag {
                wrong.append("\(i): \(answer)")
            }
        }
        let elapsed = monotonicSeconds() - sent
        #expect(wrong.isEmpty, "\(wrong.count) wrong answers, first: \(wrong.first ?? "")")
        #expect(elapsed < 4, "200 waiters took \(elapsed) s to answer")
        try expectParked(metrics, 0)
    }

    @Test func shutdownAnswersParkedLongPolls() throws {
        let server = try V1Server()
        defer { server.stop() }
        let metrics = try server.connect()
        let writer = try server.connect()
        let put = try writer.put("/s", "kept")
        let poller = try server.connect()
        try startPoll(poller, "/s?index=\(put.zkIndex!)&wait=30s")
        try expectParked(metrics, 1)
        server.process.signal(SIGTERM)
        let answer = try poller.readResponse(timeout: 5)
        #expect(answer.status == 200)
        #expect(answer.dataText == "kept")
        #expect(server.process.waitForExit(timeout: 10) == .exited(0))
    }
}
