import HTTPCore
import HTTPServer

/// Prometheus text exposition (format 0.0.4) of the server's counters, then those other parts of
/// the process registered with the stats (the ZooKeeper backend's).
enum Metrics {
    static func render(_ stats: HTTPServerStats) -> HTTPResponse {
        let rows: [(String, String, String, Int)] = [
            ("zkgate_http_connections_open", "gauge", "Open HTTP connections.", stats.openConnections.load(ordering: .relaxed)),
            ("zkgate_http_connections_accepted_total", "counter", "Accepted HTTP connections.", stats.acceptedConnections.load(ordering: .relaxed)),
            ("zkgate_http_requests_total", "counter", "Complete requests routed to a handler.", stats.requests.load(ordering: .relaxed)),
            ("zkgate_http_parked_requests", "gauge", "Requests parked awaiting a deferred answer.", stats.parkedRequests.load(ordering: .relaxed)),
            ("zkgate_http_parked_abandoned_total", "counter", "Parked requests whose client left first.", stats.abandonedParkedRequests.load(ordering: .relaxed)),
            ("zkgate_http_client_errors_total", "counter", "Answers with a 4xx status.", stats.clientErrors.load(ordering: .relaxed)),
            ("zkgate_http_server_errors_total", "counter", "Answers with a 5xx status.", stats.serverErrors.load(ordering: .relaxed)),
            ("zkgate_http_descriptor_exhaustion_total", "counter", "Connections shed for lack of descriptors.", stats.descriptorExhaustion.load(ordering: .relaxed)),
            ("zkgate_tls_failures_total", "counter", "TLS connections closed by a failed handshake or a bad record.", stats.tlsFailures.load(ordering: .relaxed)),
            ("zkgate_http2_connections_total", "counter", "Connections that switched to HTTP/2.", stats.http2Connections.load(ordering: .relaxed)),
            ("zkgate_http2_reset_floods_total", "counter", "HTTP/2 connections closed for resetting streams too fast.", stats.http2ResetFloods.load(ordering: .relaxed)),
        ]
        let registered = stats.registeredMetrics.map { ($0.name, $0.type, $0.help, $0.value()) }
        var text = ""
        for (name, type, help, value) in rows + registered {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        return HTTPResponse(
            status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: Array(text.utf8))
    }
}
