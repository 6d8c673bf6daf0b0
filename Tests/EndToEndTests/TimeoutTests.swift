import TestSupport
import Testing

/// Slow clients: a head or body that does not arrive in time gets 408 and a close; an idle
/// keep-alive connection is closed silently.
@Suite("End to end: timeouts")
struct TimeoutTests {
    @Test func halfAHeadGets408() throws {
        let server = try ZKGateProcess(["--header-timeout", "1"])
        defer { server.stop() }
        let client = try server.connect()
        let start = monotonicSeconds()
        try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        let response = try client.readResponse(timeout: 4)
        let elapsed = monotonicSeconds() - start
        expectProblem(response, status: 408, type: "request-timeout")
        #expect(response.header("Connection") == "close")
        #expect(elapsed >= 0.99 && elapsed <= 2.5, "408 after \(elapsed) s")
        expectServerCloses(client)
    }

    /// The head deadline runs from its first byte: trickling bytes must not extend it.
    @Test func tricklingHeadStillGets408() throws {
        let server = try ZKGateProcess(["--header-timeout", "1"])
        defer { server.stop() }
        let client = try server.connect()
        let start = monotonicSeconds()
        var response: HTTPTestResponse?
        for byte in "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa".utf8 {
            try? client.send([byte])
            if let r = try? client.readResponse(timeout: 0.1) {
                response = r
                break
            }
        }
        let elapsed = monotonicSeconds() - start
        let r = try #require(response, "no answer after \(elapsed) s of trickling")
        expectProblem(r, status: 408, type: "request-timeout")
        #expect(elapsed >= 0.99 && elapsed <= 2.5, "408 after \(elapsed) s")
    }

    @Test func missingBodyBytesGet408() throws {
        let server = try ZKGateProcess(["--body-timeout", "1", "--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        let start = monotonicSeconds()
        try client.send("POST /debug/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        let response = try client.readResponse(timeout: 4)
        let elapsed = monotonicSeconds() - start
        expectProblem(response, status: 408, type: "request-timeout")
        #expect(response.json?["detail"] as? String == "The request body did not arrive in time.")
        #expect(response.header("Connection") == "close")
        #expect(elapsed >= 0.99 && elapsed <= 2.5, "408 after \(elapsed) s")
        expectServerCloses(client)
    }

    @Test func idleConnectionIsClosedWithout408() throws {
        let server = try ZKGateProcess(["--idle-timeout", "1"])
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.request("GET", "/healthz").status == 200)
        let start = monotonicSeconds()
        let outcome = client.waitForClose(timeout: 4)
        let elapsed = monotonicSeconds() - start
        #expect(outcome == .closed(unread: []), "no bytes (no 408) before the close")
        #expect(elapsed >= 0.95 && elapsed <= 2.5, "closed after \(elapsed) s")
    }

    /// A fresh connection that never sends anything is idle too.
    @Test func silentNewConnectionIsClosed() throws {
        let server = try ZKGateProcess(["--idle-timeout", "1", "--header-timeout", "5"])
        defer { server.stop() }
        let client = try server.connect()
        let start = monotonicSeconds()
        #expect(client.waitForClose(timeout: 4) == .closed(unread: []))
        let elapsed = monotonicSeconds() - start
        #expect(elapsed >= 0.95 && elapsed <= 2.5, "closed after \(elapsed) s")
    }

    /// Requests keep a connection alive past the idle timeout: it runs from the last answer.
    @Test func activityExtendsTheIdleDeadline() throws {
        let server = try ZKGateProcess(["--idle-timeout", "1"])
        defer { server.stop() }
        let client = try server.connect()
        let start = monotonicSeconds()
        for _ in 0..<4 {
            #expect(try client.request("GET", "/healthz").status == 200)
            sleepSeconds(0.5)
        }
        #expect(monotonicSeconds() - start >= 2, "the connection outlived two idle timeouts")
        #expect(try client.request("GET", "/healthz").status == 200)
    }
}
