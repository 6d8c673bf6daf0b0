#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing

/// An idle server must not spin: no busy polling, no periodic timer ticks.
@Suite("End to end: idle CPU")
struct IdleCPUTests {
    /// CPU ticks the server uses over two idle seconds, after a one-second settle. The sleeps
    /// block this thread on purpose: an awaited sleep resumes only when a thread of the
    /// cooperative pool is free, and under the full suite (two threads here, held by tests on
    /// blocking sockets) that took over a minute, past the server's idle timeout.
    func idleTicks(_ server: ZKGateProcess) throws -> Int {
        usleep(1_000_000)
        let before = try cpuTicks(pid: server.pid)
        usleep(2_000_000)
        return try cpuTicks(pid: server.pid) - before
    }

    @Test func idleServerUsesNoCPU() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let used = try idleTicks(server)
        #expect(used <= 1, "\(used) ticks of CPU in 2 idle seconds (\(clockTicksPerSecond)/s)")
    }

    @Test func fiftyIdleKeepAliveConnectionsUseNoCPU() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        var clients: [RawHTTPClient] = []
        for _ in 0..<50 {
            let client = try server.connect()
            #expect(try client.request("GET", "/healthz").status == 200)
            clients.append(client)
        }
        let used = try idleTicks(server)
        #expect(used <= 1, "\(used) ticks of CPU in 2 idle seconds with 50 connections")
        let metrics = try server.connect()
        #expect(try metrics.metric("zkgate_http_connections_open") == 51, "all 50 stayed open")
        withExtendedLifetime(clients) {}
    }
}
