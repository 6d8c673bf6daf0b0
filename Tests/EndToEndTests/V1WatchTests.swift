import Foundation
import TestSupport
import Testing

/// The change feed where the process matters: server-sent events over a socket, and 410 with
/// a snapshot when the cursor is older than the history `--watch-history` keeps. Batches and
/// long-polls are in GatewayAPITests/WatchRouteTests.
@Suite("End to end: /v1/watch")
struct V1WatchTests {
    func watch(_ client: RawHTTPClient, _ target: String, headers: [(String, String)] = [], timeout: Double? = nil)
        throws -> HTTPTestResponse
    {
        try client.request("GET", "/v1/watch" + target, headers: headers, timeout: timeout)
    }

    /// The body's top-level object with nested values intact (`HTTPTestResponse.json` flattens them).
    func object(_ response: HTTPTestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    @Test func serverSentEventsWithResume() throws {
        let server = try V1Server()
        defer { server.stop() }
        let writer = try server.connect()
        _ = try writer.put("/s?parents=true", "0")
        let start = try #require(try watch(writer, "/s?wait=0").json?["next"].flatMap(intValue))
        let stream = try server.connect(timeout: 5)
        try stream.send("GET /v1/watch/s?since=\(start) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        _ = try writer.put("/s", "1")
        var text = ""
        #expect(try eventually(timeout: 5, every: 0.01) {
            text += String(decoding: try stream.readAvailable(timeout: 0.05), as: UTF8.self)
            return text.contains("event: dataChanged")
        })
        #expect(text.contains("Content-Type: text/event-stream"))
        #expect(text.contains("Transfer-Encoding: chunked"))
        // "\r\n" is one Character in Swift: normalise the chunk framing's line ends first.
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n")
        let id = try #require(lines.first { $0.hasPrefix("id: ") }.flatMap { Int($0.dropFirst(4)) })
        // Resuming after that id sees only what came later.
        _ = try writer.put("/s", "2")
        let resumed = try server.connect(timeout: 5)
        try resumed.send("GET /v1/watch/s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nLast-Event-ID: \(id)\r\n\r\n")
        var more = ""
        #expect(try eventually(timeout: 5, every: 0.01) {
            more += String(decoding: try resumed.readAvailable(timeout: 0.05), as: UTF8.self)
            return more.contains("event: dataChanged")
        })
        #expect(!more.contains("id: \(id)\n"), "the resumed stream repeats nothing")
    }

    @Test func aCursorOlderThanTheHistoryIsGoneWithASnapshot() throws {
        let server = try V1Server(["--watch-history", "4"])
        defer { server.stop() }
        let client = try server.connect()
        _ = try client.put("/h/a?parents=true", "a")
        let start = try #require(try watch(client, "/h?recursive=true&wait=0").json?["next"].flatMap(intValue))
        for i in 0..<6 { _ = try client.put("/h/a", "\(i)") }
        let gone = try watch(client, "/h?recursive=true&since=\(start)")
        #expect(gone.status == 410)
        #expect(gone.problemType == "urn:zkgate:problem:cursor-expired")
        let snapshot = (object(gone)["snapshot"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        #expect(snapshot.compactMap { $0["path"] as? String } == ["/h", "/h/a"])
        #expect(snapshot.last?["data"] as? String == "5")
        let next = try #require(gone.json?["next"].flatMap(intValue))
        // The fresh cursor resumes cleanly.
        #expect(try watch(client, "/h?recursive=true&since=\(next)&wait=0").status == 200)
    }
}
