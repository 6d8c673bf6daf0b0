#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing

/// An idle server must not spin: no busy polling, no periodic timer ticks.
@Suite("End to end: idle CPU")
struct IdleCPUTests {
    /// CPU ticks the server uses over two idle seconds, after a one-second settle (blocking
    /// sleeps: an awaited one once woke past the server's 60 s idle timeout).
    func idleTicks(_ server: ZKGateProcess) throws -> Int {
        usleep(1_000_000)
        return try cpuTicks(pid: server.pid, over: 2)
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
