import TestSupport
import Testing

/// An idle server must not spin: no busy polling, no periodic timer ticks.
@Suite("End to end: idle CPU")
struct IdleCPUTests {
    /// CPU ticks the server uses over two idle seconds, after a one-second settle.
    func idleTicks(_ server: ZKGateProcess) async throws -> Int {
        try await Task.sleep(for: .seconds(1))
        let before = try cpuTicks(pid: server.pid)
        try await Task.sleep(for: .seconds(2))
        return try cpuTicks(pid: server.pid) - before
    }

    @Test func idleServerUsesNoCPU() async throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let used = try await idleTicks(server)
        #expect(used <= 1, "\(used) ticks of CPU in 2 idle seconds (\(clockTicksPerSecond)/s)")
    }

    @Test func fiftyIdleKeepAliveConnectionsUseNoCPU() async throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        var clients: [RawHTTPClient] = []
        for _ in 0..<50 {
            let client = try server.connect()
            #expect(try client.request("GET", "/healthz").status == 200)
            clients.append(client)
        }
        let used = try await idleTicks(server)
        #expect(used <= 1, "\(used) ticks of CPU in 2 idle seconds with 50 connections")
        let metrics = try server.connect()
        #expect(try metrics.metric("zkgate_http_connections_open") == 51, "all 50 stayed open")
        withExtendedLifetime(clients) {}
    }
}
