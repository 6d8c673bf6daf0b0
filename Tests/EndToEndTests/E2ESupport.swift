import Foundation
import TestSupport
import Testing

/// Checks an RFC 9457 problem answer: status, media type, `type` URI and the `status` member.
func expectProblem(
    _ response: HTTPTestResponse, status: Int, type slug: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
    #expect(response.header("Content-Type") == "application/problem+json", sourceLocation: sourceLocation)
    #expect(response.problemType == "urn:zkgate:problem:\(slug)", "\(response.bodyText)", sourceLocation: sourceLocation)
    #expect(response.json?["status"] as? Int == status, sourceLocation: sourceLocation)
    #expect(response.header("Content-Length") == "\(response.body.count)", sourceLocation: sourceLocation)
}

/// Checks that the server closed the connection cleanly (FIN, not RST) with nothing after
/// the answer already read, then closes our side too, as a real client would (the server
/// lingers until then, which would slow down stopping it).
func expectServerCloses(
    _ client: RawHTTPClient, within timeout: Double = 3, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(client.waitForClose(timeout: timeout) == .closed(unread: []), sourceLocation: sourceLocation)
    client.close()
}

extension ZKGateProcess {
    /// A new connection to this server.
    func connect(timeout: Double = 10) throws -> RawHTTPClient { try RawHTTPClient(port: port, timeout: timeout) }
}

/// A 200 answer of GET /healthz, the usual "is the server still fine" probe.
let healthzBody = #"{"status":"ok"}"#
