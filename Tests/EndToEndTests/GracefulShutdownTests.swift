import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT: parked requests are answered, idle connections closed, exit 0.
@Suite("End to end: graceful shutdown")
struct GracefulShutdownTests {
    @Test func sigtermAnswersParkedClosesIdleAndExitsZero() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let idle = try server.connect()
        #expect(try idle.request("GET", "/healthz").status == 200)
        let parked = try server.connect()
        try parked.send(HTTPRequestBytes.make("GET", "/debug/defer?ms=30000"))
        #expect(try eventually(timeout: 2) { try idle.metric("zkgate_http_parked_requests") == 1 })

        let signalled = monotonicSeconds()
        server.signal(SIGTERM)
        let answer = try parked.readResponse(timeout: 3)
        #expect(answer.status == 200)
        #expect(answer.bodyText.contains(#""from":"shutdown""#), "body: \(answer.bodyText)")
        #expect(answer.header("Connection") == "close")
        expectServerCloses(parked)
        expectServerCloses(idle)
        let remaining = max(0.1, 3 - (monotonicSeconds() - signalled))
        let status = server.waitForExit(timeout: remaining)
        #expect(status == .exited(0), "within 3 s of SIGTERM: \(status.map { "\($0)" } ?? "still running")")
        #expect(server.stderr.text.contains("shutting down"))
        // The listener is gone: new connections are refused.
        #expect(throws: HTTPClientError.self) { try server.connect() }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalWithNothingInFlightExitsPromptly(signal: Int32) throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let start = monotonicSeconds()
        server.signal(signal)
        let status = server.waitForExit(timeout: 2)
        let elapsed = monotonicSeconds() - start
        #expect(status == .exited(0))
        #expect(elapsed < 1, "exited after \(elapsed) s")
        #expect(server.stderr.text.contains("stopped"))
    }

    /// SIGHUP is logged and ignored: the server keeps serving.
    /// `--drain-seconds`: on SIGTERM `/readyz` fails at once while every route still serves,
    /// on the same connections and on new ones; then the listeners close and it exits 0.
    @Test func drainFailsReadinessFirstAndKeepsServing() throws {
        let server = try ZKGateProcess(["--drain-seconds", "2"])
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.request("GET", "/readyz").status == 200)
        #expect(try client.request("PUT", "/v1/nodes/drain?parents=true", headers: [("Content-Type", "application/json")],
            body: jsonBytes(["data": "x"])).status == 201)
        let signalled = monotonicSeconds()
        server.signal(SIGTERM)
        #expect(try eventually(timeout: 1) { try server.connect().request("GET", "/readyz").status == 503 })
        let readiness = try client.request("GET", "/readyz")
        #expect(readiness.status == 503 && readiness.header("Retry-After") != nil, "\(readiness)")
        #expect(try client.request("GET", "/v1/nodes/drain").status == 200, "still served while draining")
        #expect(try server.connect().request("GET", "/healthz").status == 200, "new connections still accepted")
        let status = server.waitForExit(timeout: 6)
        #expect(status == .exited(0))
        #expect(monotonicSeconds() - signalled >= 1.9, "the drain lasted its 2 s")
    }

    /// A drain that is not a number of seconds from 0 to 300 stops start-up, naming the flag.
    @Test(arguments: ["-1", "301", "nan", "soon"])
    func aBadDrainIsRefusedAtStartUp(value: String) throws {
        let result = try runCommand(try ZKGateProcess.binaryPath(), ["serve", "--listen", "127.0.0.1:0", "--drain-seconds", value])
        #expect(result.status != 0)
        #expect(result.stderr.contains("drain-seconds"), "\(result.stderr)")
    }

    @Test func sighupDoesNotStop() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        server.signal(SIGHUP)
        #expect(server.stderr.wait(timeout: 2) { $0.contains("SIGHUP") })
        #expect(server.exitStatus == nil)
        #expect(try server.connect().request("GET", "/healthz").status == 200)
    }

    /// A stream has no shutdown answer: it runs until --shutdown-timeout, then is cut short,
    /// and the process still exits 0.
    @Test func shutdownTimeoutEndsAStream() throws {
        let server = try ZKGateProcess(["--debug-routes", "--shutdown-timeout", "1"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send(HTTPRequestBytes.make("GET", "/debug/stream?count=1000&interval_ms=100"))
        _ = try client.readAvailable(timeout: 0.3)
        let start = monotonicSeconds()
        server.signal(SIGTERM)
        let status = server.waitForExit(timeout: 4)
        let elapsed = monotonicSeconds() - start
        #expect(status == .exited(0))
        #expect(elapsed >= 0.95 && elapsed < 3, "exited after \(elapsed) s")
        #expect(server.stderr.text.contains("shutdown deadline reached"))
    }

    /// A second SIGTERM during the drain cuts it short.
    @Test func secondSignalCutsTheDrainShort() throws {
        let server = try ZKGateProcess(["--debug-routes", "--shutdown-timeout", "30"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send(HTTPRequestBytes.make("GET", "/debug/stream?count=1000&interval_ms=100"))
        _ = try client.readAvailable(timeout: 0.3)
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 0.5) == nil, "the first signal waits for the stream")
        let start = monotonicSeconds()
        server.signal(SIGTERM)
        let status = server.waitForExit(timeout: 3)
        let elapsed = monotonicSeconds() - start
        #expect(status == .exited(0))
        #expect(elapsed < 1, "exited \(elapsed) s after the second signal")
    }

    /// Requests that completed before the signal are all in the access log after exit.
    @Test func accessLogIsFlushedOnExit() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        for _ in 0..<20 { _ = try client.request("GET", "/healthz") }
        client.close()
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 3) == .exited(0))
        #expect(server.stdout.wait(timeout: 2) { _ in server.stdout.isFinished })
        #expect(server.stdout.lines.count == 20)
    }
}
