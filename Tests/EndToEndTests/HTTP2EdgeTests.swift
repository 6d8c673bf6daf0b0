import CNGHTTP2
import Foundation
import TestSupport
import Testing

/// HTTP/2 at its edges on the real binary: a header list over the limit, a client that upgrades
/// and then sends garbage or nothing, a stream id going backwards, and a first line that is no
/// HTTP at all.
@Suite struct HTTP2EdgeTests {
    static let upgradeRequest = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"

    @Test func aHeaderListOverTheLimitIsAnswered431AndTheConnectionGoesOn() throws {
        let server = try V1Server(["--max-header-bytes", "1024"])
        defer { server.stop() }
        let socket = try server.connect()
        let client = HTTP2TestClient()
        let big = client.request("GET", "/healthz", headers: [("x-big", String(repeating: "b", count: 2_000))])
        let many = client.request("GET", "/healthz", headers: (0..<30).map { ("x-f\($0)", String(repeating: "v", count: 30)) })
        #expect(try HTTP2EndToEndTests.pump(client, socket, timeout: 5) { client.ended.isSuperset(of: [big, many]) })
        #expect(client.statuses[big] == "431" && client.statuses[many] == "431", "\(client.statuses) \(client.resets)")
        #expect(String(decoding: client.bodies[big] ?? [], as: UTF8.self).contains("urn:zkgate:problem:header-fields-too-large"))
        #expect(client.resets.isEmpty && client.goAwayCode == nil)
        let small = client.request("GET", "/healthz")
        #expect(try HTTP2EndToEndTests.pump(client, socket, timeout: 5) { client.ended.contains(small) })
        #expect(client.statuses[small] == "200")
    }

    /// The Host syntax HTTP/1.1 checks as it parses holds on HTTP/2 too. nghttp2 resets a stream
    /// whose `host` has characters no authority has (a space); one it lets through that is still
    /// not `host[:port]` (userinfo, `user@host`) is 400 `bad-host`, and the connection goes on.
    @Test func aBadHostIsRefusedOnItsStream() throws {
        let server = try V1Server()
        defer { server.stop() }
        let socket = try server.connect()
        let client = HTTP2TestClient()
        let spaced = client.request("GET", "/healthz", headers: [("host", "a b")])
        #expect(try HTTP2EndToEndTests.pump(client, socket, timeout: 5) { client.resets[spaced] != nil })
        #expect(client.resets[spaced] == 1, "PROTOCOL_ERROR from nghttp2")
        let bad = client.request("GET", "/healthz", headers: [("host", "user@example.org")])
        #expect(try HTTP2EndToEndTests.pump(client, socket, timeout: 5) { client.ended.contains(bad) || client.resets[bad] != nil })
        #expect(client.statuses[bad] == "400", "statuses \(client.statuses), resets \(client.resets), goaway \(String(describing: client.goAwayCode))")
        #expect(String(decoding: client.bodies[bad] ?? [], as: UTF8.self).contains("urn:zkgate:problem:bad-host"))
        let good = client.request("GET", "/healthz", headers: [("host", "example.org:8080")])
        #expect(try HTTP2EndToEndTests.pump(client, socket, timeout: 5) { client.ended.contains(good) })
        #expect(client.statuses[good] == "200")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/nghttp"), "needs nghttp (nghttp2-client)"))
    func nghttpGets431ForAnOversizedHeader() throws {
        let server = try V1Server()
        defer { server.stop() }
        let out = try runCommand("/usr/bin/nghttp", ["-nv", "-H", "x-big: \(String(repeating: "a", count: 20_000))",
            "\(server.base)/healthz"])
        #expect(out.stdoutText.contains(":status: 431"), "\(out.stdoutText)")
        #expect(!out.stdoutText.contains("recv RST_STREAM"), "\(out.stdoutText)")
    }

    @Test func garbageInsteadOfThePrefaceAfter101ClosesAtOnce() throws {
        let server = try V1Server()
        defer { server.stop() }
        // The garbage in the same segment as the request, and in a later one.
        for split in [false, true] {
            let client = try server.connect()
            let garbage = "this is not the HTTP/2 preface\r\n\r\n"
            if split {
                try client.send(Self.upgradeRequest)
                #expect(try client.readAvailable(timeout: 0.3).starts(with: Array("HTTP/1.1 101".utf8)))
                try client.send(garbage)
            } else {
                try client.send(Self.upgradeRequest + garbage)
            }
            let started = monotonicSeconds()
            let outcome = client.waitForClose(timeout: 5)
            if case .stillOpen = outcome { Issue.record("still open after 5 s") }
            #expect(monotonicSeconds() - started < 3, "closed within the linger time")
        }
    }

    @Test func aClientSilentAfter101IsDroppedAtTheHeaderTimeout() throws {
        let server = try V1Server(["--header-timeout", "1"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send(Self.upgradeRequest)
        let started = monotonicSeconds()
        let outcome = client.waitForClose(timeout: 5)
        if case .stillOpen = outcome { Issue.record("still open after 5 s") }
        #expect(monotonicSeconds() - started < 3)
        // Prior knowledge with a partial preface is bounded the same way.
        let partial = try server.connect()
        try partial.send("PRI * HTTP/2.0\r\n")
        if case .stillOpen = partial.waitForClose(timeout: 5) { Issue.record("a partial preface held the connection") }
    }

    @Test func aFirstLineThatIsNoHTTPIsClosedWithoutAnAnswer() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        try client.send("INVALID CONNECTION PREFACE\r\n\r\n")
        let outcome = client.waitForClose(timeout: 3)
        switch outcome {
        case .closed(let unread), .reset(let unread): #expect(unread.isEmpty, "no HTTP/1.1 answer")
        case .stillOpen: Issue.record("still open")
        }
        // A malformed HTTP/1.1 request line still gets its 400.
        let h1 = try server.connect()
        try h1.send("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try h1.readResponse().status == 400)
    }
}
