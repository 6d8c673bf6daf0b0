import HTTP2
import TestSupport

typealias TestClient = HTTP2TestClient

extension HTTP2Session {
    func receive(_ bytes: [UInt8], now: UInt64 = 0) throws -> [Event] {
        try bytes.withUnsafeBytes { try receive($0, now: now) }
    }
}

/// Moves bytes both ways until neither side has anything to send; returns the server's events.
func exchange(_ client: TestClient, _ server: HTTP2Session, now: UInt64 = 0) throws -> [HTTP2Session.Event] {
    var events: [HTTP2Session.Event] = []
    for _ in 0..<20 {
        let up = client.outgoing()
        events += try server.receive(up, now: now)
        let down = server.outbound()
        client.incoming(down)
        if up.isEmpty && down.isEmpty { break }
    }
    return events
}
