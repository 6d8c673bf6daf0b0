import Foundation
import TestSupport
import Testing

/// The operational routes as a client sees them on the wire. (What the server answers a path
/// no route takes is in GatewayAPITests/RoutingProblemRouteTests.)
@Suite("End to end: basic routes")
struct BasicRoutesTests {
    static var imfFixdate: Regex<(Substring, Substring, Substring)> { #/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/# }

    @Test func healthzExactResponse() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.request("GET", "/healthz")
        #expect(response.status == 200)
        #expect(response.bodyText == healthzBody)
        let date = try #require(response.header("Date"))
        #expect(date.wholeMatch(of: Self.imfFixdate) != nil, "Date \(date)")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let parsed = try #require(formatter.date(from: date))
        #expect(abs(parsed.timeIntervalSinceNow) < 5, "Date \(date) is not now")
        // The whole head, byte for byte: field order, no Connection field on keep-alive.
        #expect(response.rawHeadText
            == "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 15\r\nContent-Type: application/json\r\n\r\n")
    }

    @Test func headHasHeadersAndNoBody() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let head = try client.request("HEAD", "/healthz")
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "15")
        #expect(head.header("Content-Type") == "application/json")
        // Had a body followed, it would be read as the next response's status line.
        let next = try client.request("GET", "/healthz")
        #expect(next.status == 200)
        #expect(next.bodyText == healthzBody)
        #expect(client.unread.isEmpty)
    }

    @Test func optionsAnswers204WithAllow() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.request("OPTIONS", "/healthz")
        #expect(response.status == 204)
        #expect(response.header("Allow") == "GET, HEAD")
        #expect(response.header("Content-Length") == nil)
        #expect(response.body.isEmpty)
        #expect(try client.request("GET", "/healthz").status == 200, "the connection stays usable")
    }

    @Test func postToHealthzIs405() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.request("POST", "/healthz", body: Array("x".utf8))
        expectProblem(response, status: 405, type: "method-not-allowed")
        #expect(response.header("Allow") == "GET, HEAD")
        #expect(try client.request("GET", "/healthz").status == 200, "a 405 does not close the connection")
    }

    @Test func readyzAndMetrics() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let ready = try client.request("GET", "/readyz")
        #expect(ready.status == 200)
        #expect(ready.bodyText == #"{"status":"ready"}"#)
        let metrics = try client.request("GET", "/metrics")
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let values = parsePrometheus(metrics.bodyText)
        #expect(values["zkgate_http_connections_open"] == 1)
        #expect(values["zkgate_http_connections_accepted_total"] == 1)
        #expect(values["zkgate_http_requests_total"] == 2)
        #expect(values["zkgate_http_parked_requests"] == 0)
        #expect(metrics.bodyText.contains("# TYPE zkgate_http_connections_open gauge\n"))
    }

    @Test func debugRoutesAreOffByDefault() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        expectProblem(try client.request("GET", "/debug/defer?ms=1"), status: 404, type: "not-found")
    }
}
