import Foundation
import TestSupport
import Testing

/// The access log on stdout: one line per answered request.
@Suite("End to end: access log")
struct AccessLogTests {
    @Test func oneLinePerRequestWithMethodTargetStatus() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        let ok = try client.request("GET", "/healthz")
        let missing = try client.request("GET", "/nope?x=1")
        #expect(server.stdout.wait(timeout: 2) { $0.split(separator: "\n").count >= 2 })
        let lines = server.stdout.lines
        #expect(lines.count == 2, "\(lines)")
        guard lines.count == 2 else { return }
        // [date] remote "METHOD target HTTP/x.y" status bytes durationus
        let pattern = #/^\[(?<date>[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)\] 127\.0\.0\.1:(?<port>\d+) (?<principal>\S+) "(?<request>[^"]*)" (?<status>\d{3}) (?<bytes>\d+) (?<micros>\d+)us$/#
        let first = try #require(lines[0].wholeMatch(of: pattern), "line: \(lines[0])")
        #expect(first.request == "GET /healthz HTTP/1.1")
        #expect(first.status == "200")
        #expect(Int(first.bytes) == ok.body.count)
        let second = try #require(lines[1].wholeMatch(of: pattern), "line: \(lines[1])")
        #expect(second.request == "GET /nope?x=1 HTTP/1.1")
        #expect(second.status == "404")
        #expect(Int(second.bytes) == missing.body.count)
        #expect(first.port == second.port, "same client connection")
    }

    /// Durations are measured, not taken from the loop's clock of the iteration: a request
    /// answered within one iteration still shows its microseconds, and a long-poll that
    /// waited 300 ms shows at least that, over HTTP/1.1 and HTTP/2 alike.
    @Test func durationsAreTrue() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/timed?parents=true", "x").status == 201)
        let index = try #require(try client.get("/timed").header("Zkgate-Index"))
        for _ in 0..<20 { _ = try client.request("GET", "/v1/nodes/timed") }
        let waited = try client.request("GET", "/v1/nodes/timed?index=\(index)&wait=300ms")
        #expect(waited.status == 200)
        #expect(server.stdout.wait(timeout: 2) { $0.split(separator: "\n").count >= 23 })
        let micros = server.stdout.lines.compactMap { line in line.split(separator: " ").last.flatMap { Int($0.dropLast(2)) } }
        let quick = micros.dropFirst(2).prefix(20)
        #expect(quick.filter { $0 > 0 }.count >= 15, "GETs answered in one iteration still take time: \(quick)")
        #expect((micros.last ?? 0) >= 300_000, "the long-poll waited 300 ms: \(micros)")
    }

    @Test func parseErrorsAreLoggedWithoutARequest() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let client = try server.connect()
        try client.send("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 505)
        #expect(server.stdout.wait(timeout: 2) { !$0.isEmpty })
        let lines = server.stdout.lines
        #expect(lines.count == 1)
        #expect(lines.first?.contains(#" "-" 505 "#) == true, "\(lines)")
    }

    @Test func offMeansNoOutput() throws {
        let server = try ZKGateProcess(["--access-log", "off"])
        defer { server.stop() }
        #expect(try server.connect().request("GET", "/healthz").status == 200)
        server.stop()
        #expect(server.stdout.wait(timeout: 2) { _ in server.stdout.isFinished })
        #expect(server.stdout.text.isEmpty)
    }

    @Test func logToAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zkgate-access-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let server = try ZKGateProcess(["--access-log", path])
        defer { server.stop() }
        #expect(try server.connect().request("GET", "/readyz").status == 200)
        var text = ""
        let logged = eventually(timeout: 2) {
            text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return text.contains("\n")
        }
        #expect(logged)
        #expect(text.contains(#""GET /readyz HTTP/1.1" 200 18 "#), "\(text)")
        #expect(server.stdout.text.isEmpty)
    }
}
