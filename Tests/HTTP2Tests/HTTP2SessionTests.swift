import CNGHTTP2
import HTTP2
import Testing

@Suite("HTTP/2 server sessions on memory")
struct HTTP2SessionTests {
    func requests(_ events: [HTTP2Session.Event]) -> [HTTP2Session.Request] {
        events.compactMap { if case .request(let r) = $0 { r } else { nil } }
    }

    @Test("a GET becomes a request event; a whole answer reaches the client with END_STREAM")
    func getAndAnswer() throws {
        let server = try HTTP2Session()
        let client = TestClient()
        let stream = client.request("GET", "/v1/nodes/app?children=true", headers: [("accept", "application/json")])
        let got = requests(try exchange(client, server))
        #expect(got.count == 1)
        let request = try #require(got.first)
        #expect(request.streamID == stream && request.method == "GET" && request.path == "/v1/nodes/app?children=true")
        #expect(request.authority == "localhost" && request.scheme == "http")
        #expect(request.headers == [HTTP2Session.Field("accept", "application/json")])
        #expect(client.serverMaxConcurrentStreams == 256)
        server.respond(streamID: stream, status: 200, headers: [HTTP2Session.Field("Content-Type", "application/json")],
            body: Array(#"{"ok":true}"#.utf8))
        let closed = try exchange(client, server)
        #expect(client.statuses[stream] == "200")
        #expect(client.bodies[stream] == Array(#"{"ok":true}"#.utf8))
        #expect(client.ended.contains(stream))
        #expect(closed.contains(.streamClosed(streamID: stream, errorCode: 0)))
        #expect(server.openStreams == 0)
    }

    @Test("a request's bytes split at every point still make the same request")
    func everySplitPoint() throws {
        let body = Array("{\"data\":\"x\"}".utf8)
        let probe = TestClient()
        probe.request("PUT", "/v1/nodes/a", body: body, headers: [("content-type", "application/json")])
        let bytes = probe.outgoing()
        #expect(bytes.count > 60)
        for split in 1..<bytes.count {
            let server = try HTTP2Session()
            var events = try server.receive(Array(bytes[..<split]))
            events += try server.receive(Array(bytes[split...]))
            let got = requests(events)
            #expect(got.count == 1 && got.first?.body == body && got.first?.method == "PUT", "split at \(split)")
        }
    }

    @Test("a parked stream holds no answer; a started stream sends data as it comes, then ends")
    func deferredAndStreamed() throws {
        let server = try HTTP2Session()
        let client = TestClient()
        let parked = client.request("GET", "/v1/nodes/a?index=9&wait=30s")
        let streamed = client.request("GET", "/v1/watch/a", headers: [("accept", "text/event-stream")])
        #expect(requests(try exchange(client, server)).count == 2)
        server.startStream(streamID: streamed, status: 200, headers: [HTTP2Session.Field("content-type", "text/event-stream")])
        _ = try exchange(client, server)
        #expect(client.statuses[streamed] == "200")
        #expect(client.bodies[streamed] == nil)
        server.send(streamID: streamed, Array("data: one\n\n".utf8))
        _ = try exchange(client, server)
        #expect(client.bodies[streamed] == Array("data: one\n\n".utf8))
        #expect(!client.ended.contains(streamed))
        server.send(streamID: streamed, Array("data: two\n\n".utf8))
        server.finish(streamID: streamed)
        _ = try exchange(client, server)
        #expect(client.bodies[streamed] == Array("data: one\n\ndata: two\n\n".utf8))
        #expect(client.ended.contains(streamed))
        #expect(client.statuses[parked] == nil, "the parked stream is still waiting")
        // The waiting client gives up: the server learns it, to unpark.
        client.reset(parked)
        let events = try exchange(client, server)
        #expect(events.contains(.streamClosed(streamID: parked, errorCode: UInt32(NGHTTP2_CANCEL.rawValue))))
    }

    @Test("rapid reset: past the limit of resets per window, GOAWAY with ENHANCE_YOUR_CALM")
    func rapidReset() throws {
        let server = try HTTP2Session(settings: HTTP2Settings(maxResetsPerWindow: 50, resetWindowMs: 1_000))
        let client = TestClient()
        _ = try exchange(client, server)
        // Within the limit (10 a second over 12 s): fine.
        // Each stream's HEADERS go out before its RST_STREAM, as an attacker sends them.
        for i in 0..<120 {
            let stream = client.request("GET", "/healthz")
            _ = try server.receive(client.outgoing(), now: UInt64(i) * 100_000_000)
            client.reset(stream)
            _ = try server.receive(client.outgoing(), now: UInt64(i) * 100_000_000)
        }
        var failure: HTTP2Error?
        for _ in 0..<100 {
            let stream = client.request("GET", "/healthz")
            _ = try? server.receive(client.outgoing(), now: 20_000_000_000)
            client.reset(stream)
            do { _ = try server.receive(client.outgoing(), now: 20_000_000_000) } catch {
                failure = error as? HTTP2Error
                break
            }
        }
        #expect(failure == .tooManyResets(count: 50, windowMs: 1_000))
        client.incoming(server.outbound())
        #expect(client.goAwayCode == UInt32(NGHTTP2_ENHANCE_YOUR_CALM.rawValue))
    }

    @Test("a body over the limit is reported, not kept")
    func bodyTooLarge() throws {
        let server = try HTTP2Session(settings: HTTP2Settings(maxBody: 100))
        let client = TestClient()
        let stream = client.request("POST", "/v1/txn", body: [UInt8](repeating: 0x61, count: 1_000))
        let events = try exchange(client, server)
        #expect(events.contains(.bodyTooLarge(streamID: stream)))
        #expect(requests(events).isEmpty)
    }

    @Test("a header list over the limit is reported for a 431, not reset; the connection goes on")
    func headerListTooLarge() throws {
        let server = try HTTP2Session(settings: HTTP2Settings(maxHeaderListSize: 1_024))
        let client = TestClient()
        let big = client.request("GET", "/a", headers: [("x-big", String(repeating: "b", count: 2_000))])
        let many = client.request("POST", "/c", body: Array("body".utf8),
            headers: (0..<40).map { ("x-field-\($0)", String(repeating: "v", count: 20)) })
        let events = try exchange(client, server)
        #expect(requests(events).isEmpty)
        #expect(events.contains(.headersTooLarge(streamID: big)))
        #expect(events.contains(.headersTooLarge(streamID: many)), "many small fields count as one list")
        #expect(client.resets.isEmpty, "no stream was reset")
        server.respond(streamID: big, status: 431, headers: [], body: [])
        server.respond(streamID: many, status: 431, headers: [], body: [])
        client.incoming(server.outbound())
        #expect(client.statuses[big] == "431" && client.statuses[many] == "431")
        // The HPACK tables stayed in step: the next request decodes.
        let small = client.request("GET", "/b", headers: [("x-big", String(repeating: "b", count: 100))])
        #expect(requests(try exchange(client, server)).map(\.streamID) == [small])
        #expect(client.goAwayCode == nil)
    }

    /// The client's preface and a GET on `stream`, as raw frames (HPACK static indexes only).
    static func rawHeaders(_ stream: UInt8) -> [UInt8] {
        // HEADERS, END_STREAM | END_HEADERS: :method GET, :scheme http, :path /, and
        // :authority x as a literal without indexing.
        [0, 0, 6, 0x01, 0x05, 0, 0, 0, stream, 0x82, 0x86, 0x84, 0x01, 0x01, 0x78]
    }
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 0x04, 0, 0, 0, 0, 0]

    @Test("HEADERS on a stream id below one already used is a connection error (PROTOCOL_ERROR)")
    func lowerStreamID() throws {
        let server = try HTTP2Session()
        #expect(!server.prefaceReceived)
        let first = try server.receive(Self.preface + Self.rawHeaders(5))
        #expect(server.prefaceReceived)
        #expect(requests(first).map(\.streamID) == [5])
        server.respond(streamID: 5, status: 200, headers: [], body: [])
        _ = server.outbound()
        #expect(throws: HTTP2Error.self) { _ = try server.receive(Self.rawHeaders(3)) }
        #expect(Self.goAwayCode(in: server.outbound()) == UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue))
    }

    /// The error code of the first GOAWAY among raw frames.
    static func goAwayCode(in bytes: [UInt8]) -> UInt32? {
        var i = 0
        while i + 9 <= bytes.count {
            let length = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            if bytes[i + 3] == 0x07, i + 9 + 8 <= bytes.count {
                return bytes[(i + 13)..<(i + 17)].reduce(0) { $0 << 8 | UInt32($1) }
            }
            i += 9 + length
        }
        return nil
    }

    @Test("increasing stream ids, skipping some, are served")
    func increasingStreamIDs() throws {
        let server = try HTTP2Session()
        let events = try server.receive(Self.preface + Self.rawHeaders(1) + Self.rawHeaders(7) + Self.rawHeaders(9))
        #expect(requests(events).map(\.streamID) == [1, 7, 9])
    }

    @Test("a client that does not speak HTTP/2 is a protocol error, with GOAWAY queued")
    func badPreface() throws {
        let server = try HTTP2Session()
        #expect(throws: HTTP2Error.self) { _ = try server.receive(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) }
        #expect(!server.outbound().isEmpty)
    }

    @Test("graceful GOAWAY names the last stream processed; it can still be answered")
    func gracefulGoAway() throws {
        let server = try HTTP2Session()
        let client = TestClient()
        let stream = client.request("GET", "/v1/nodes/a")
        _ = try exchange(client, server)
        server.goAway()
        _ = try exchange(client, server)
        #expect(client.goAwayCode == 0 && client.goAwayLastStream == stream)
        server.respond(streamID: stream, status: 204, headers: [], body: [])
        _ = try exchange(client, server)
        #expect(client.statuses[stream] == "204" && client.ended.contains(stream))
    }
}
