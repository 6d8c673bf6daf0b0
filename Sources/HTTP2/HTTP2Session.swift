import CNGHTTP2

/// One HTTP/2 server connection over nghttp2, sans I/O: the caller feeds the bytes its
/// socket read (after TLS, when there is any) and sends what `outbound()` returns. Requests
/// come out as events once their stream ends; answers go in whole, or as streams whose data
/// the caller supplies later. A stream that waits for its answer (a parked long-poll) has no
/// data provider and no buffer until it is answered.
///
/// Confined to one thread (the connection's loop).
public final class HTTP2Session {
    /// A request whose headers (and body) have arrived.
    public struct Request: Sendable, Hashable {
        public var streamID: Int32
        public var method: String
        public var path: String
        public var authority: String?
        public var scheme: String?
        /// Regular header fields, in order, with lowercase names (HTTP/2 requires them).
        public var headers: [Field]
        public var body: [UInt8]

        public init(
            streamID: Int32, method: String, path: String, authority: String?, scheme: String?, headers: [Field], body: [UInt8]
        ) {
            self.streamID = streamID
            self.method = method
            self.path = path
            self.authority = authority
            self.scheme = scheme
            self.headers = headers
            self.body = body
        }
    }

    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public enum Event: Sendable, Hashable {
        /// A complete request.
        case request(Request)
        /// A request whose body passed `maxBody`: answer 413 (its body is discarded).
        case bodyTooLarge(streamID: Int32)
        /// A request whose header list passed `maxHeaderListSize`: answer 431 (its fields and
        /// body are discarded).
        case headersTooLarge(streamID: Int32)
        /// A stream ended: answered, or reset by the peer (`errorCode` non-zero) — a parked
        /// request's client went away.
        case streamClosed(streamID: Int32, errorCode: UInt32)
    }

    /// The body of an answer in progress.
    final class Outgoing {
        var data: [UInt8]
        var offset = 0
        var finished: Bool
        init(data: [UInt8], finished: Bool) {
            self.data = data
            self.finished = finished
        }
    }

    var session: OpaquePointer?
    let settings: HTTP2Settings
    var receiving: [Int32: Request] = [:]
    var oversized: Set<Int32> = []
    /// Streams whose header list is over `maxHeaderListSize`, until their block ends.
    var oversizedHeaders: Set<Int32> = []
    /// The highest client stream id seen in a HEADERS frame.
    var highestClientStream: Int32 = 0
    /// Streams this server reset (RST_STREAM sent), recent ones only.
    var resetSent: Set<Int32> = []
    /// Why the last `receive` failed on stream order, when it did.
    var streamOrderViolation: String?
    /// Whether the client's connection preface (magic and first SETTINGS) has arrived.
    public internal(set) var prefaceReceived = false
    /// When each stream still arriving began (ns), for `expireIncomplete`.
    var receivingSince: [Int32: UInt64] = [:]
    /// Header bytes received so far per stream, against `maxHeaderListSize`.
    var headerBytes: [Int32: Int] = [:]
    var responses: [Int32: Outgoing] = [:]
    var events: [Event] = []
    /// When the peer's recent RST_STREAM frames arrived (ns), oldest first.
    var resets: [UInt64] = []
    var now: UInt64 = 0
    var resetLimitHit = false

    /// - Throws: `HTTP2Error.library` when nghttp2 cannot allocate the session.
    public init(settings: HTTP2Settings = HTTP2Settings()) throws(HTTP2Error) {
        self.settings = settings
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { throw .library("no memory for callbacks") }
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks)
        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { throw .library("no memory for options") }
        defer { nghttp2_option_del(option) }
        // Bounds what a client can make us keep for HPACK: our encoder's table, and the
        // decoder's through SETTINGS_HEADER_TABLE_SIZE below.
        nghttp2_option_set_max_deflate_dynamic_table_size(option, Int(settings.headerTableSize))
        var created: OpaquePointer?
        guard nghttp2_session_server_new2(&created, callbacks, Unmanaged.passUnretained(self).toOpaque(), option) == 0 else {
            throw .library("no memory for a session")
        }
        session = created
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: settings.maxHeaderListSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_HEADER_TABLE_SIZE.rawValue),
                value: settings.headerTableSize),
        ]
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
    }

    deinit { nghttp2_session_del(session) }

    /// Takes bytes the peer sent.
    ///
    /// - Parameter now: a monotonic time in ns, for the reset-rate limit.
    /// - Returns: the requests completed and streams closed since the last call (streams also
    ///   close while `outbound()` sends their last frame), in order.
    /// - Throws: `HTTP2Error` when the connection must end; send `outbound()` (the GOAWAY)
    ///   and close.
    public func receive(_ bytes: UnsafeRawBufferPointer, now: UInt64) throws(HTTP2Error) -> [Event] {
        self.now = now
        let consumed = nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        if resetLimitHit {
            throw .tooManyResets(count: settings.maxResetsPerWindow, windowMs: settings.resetWindowMs)
        }
        if consumed < 0 {
            let reason = streamOrderViolation ?? String(cString: nghttp2_strerror(Int32(consumed)))
            // nghttp2 queues the GOAWAY for most errors; make sure one goes out.
            _ = nghttp2_session_terminate_session(session, UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue))
            throw .protocolViolation(reason)
        }
        let out = events
        events.removeAll(keepingCapacity: true)
        return out
    }

    /// Takes over an HTTP/1.1 request that asked for `Upgrade: h2c`: the client's SETTINGS
    /// come from its `HTTP2-Settings` field, and the request becomes stream 1, half-closed by
    /// the client, which the caller then answers.
    ///
    /// - Throws: `HTTP2Error.protocolViolation` when the settings payload is malformed.
    public func upgrade(settingsPayload: [UInt8], headRequest: Bool) throws(HTTP2Error) {
        let rv = settingsPayload.withUnsafeBufferPointer {
            nghttp2_session_upgrade2(session, $0.baseAddress, $0.count, headRequest ? 1 : 0, nil)
        }
        guard rv == 0 else { throw .protocolViolation(String(cString: nghttp2_strerror(rv))) }
        // nghttp2 reports the HTTP2-Settings payload as a received SETTINGS frame; the preface
        // is still due (RFC 9113 §3.2: the client sends it right after the 101).
        prefaceReceived = false
    }

    /// What to send the peer now (frames nghttp2 has queued, within flow control).
    public func outbound() -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            var chunk: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &chunk)
            guard n > 0, let chunk else { break }
            bytes.append(contentsOf: UnsafeBufferPointer(start: chunk, count: n))
        }
        return bytes
    }

    /// Answers a stream whole: headers, then the body (if any) with END_STREAM.
    public func respond(streamID: Int32, status: Int, headers: [Field], body: [UInt8]) {
        submit(streamID: streamID, status: status, headers: headers, body: body.isEmpty ? nil : Outgoing(data: body, finished: true))
    }

    /// Starts an answer whose body comes later (`send`, then `finish`): server-sent events.
    public func startStream(streamID: Int32, status: Int, headers: [Field]) {
        submit(streamID: streamID, status: status, headers: headers, body: Outgoing(data: [], finished: false))
    }

    /// Adds body bytes to a started stream.
    public func send(streamID: Int32, _ bytes: [UInt8]) {
        guard let outgoing = responses[streamID], !outgoing.finished else { return }
        outgoing.data.append(contentsOf: bytes)
        _ = nghttp2_session_resume_data(session, streamID)
    }

    /// Ends a started stream.
    public func finish(streamID: Int32) {
        guard let outgoing = responses[streamID], !outgoing.finished else { return }
        outgoing.finished = true
        _ = nghttp2_session_resume_data(session, streamID)
    }

    /// Graceful shutdown: a GOAWAY naming the last stream this server will process; streams up
    /// to it may still be answered.
    public func goAway() {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, UInt32(NGHTTP2_NO_ERROR.rawValue), nil, 0)
    }

    /// When the oldest request still arriving began (ns), or nil when none is.
    public var oldestIncomplete: UInt64? { receivingSince.values.min() }

    /// Streams whose request began before `deadline` and has not ended (a client that sent
    /// headers and stalls): they are dropped here, and the caller answers them (408).
    public func expireIncomplete(before deadline: UInt64) -> [Int32] {
        let stale = receivingSince.filter { $0.value < deadline }.map(\.key).sorted()
        for id in stale {
            receiving.removeValue(forKey: id)
            receivingSince.removeValue(forKey: id)
            headerBytes.removeValue(forKey: id)
            oversized.remove(id)
            oversizedHeaders.remove(id)
        }
        return stale
    }

    /// Whether the connection has nothing more to do (after GOAWAY, or a fatal error).
    public var isFinished: Bool { nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 }

    /// Streams open now (for idle-deadline and metrics).
    public var openStreams: Int { receiving.count + responses.count }

    private func submit(streamID: Int32, status: Int, headers: [Field], body: Outgoing?) {
        let fields = [Field(":status", String(status))] + headers.map { Field($0.name.lowercased(), $0.value) }
        // One buffer for every name and value, alive until nghttp2 has copied them (it copies
        // by default, during the submit).
        let total = fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        defer { buffer.deallocate() }
        var nva: [nghttp2_nv] = []
        nva.reserveCapacity(fields.count)
        var offset = 0
        for field in fields {
            let name = buffer + offset
            for byte in field.name.utf8 { buffer[offset] = byte; offset += 1 }
            let value = buffer + offset
            for byte in field.value.utf8 { buffer[offset] = byte; offset += 1 }
            nva.append(nghttp2_nv(name: name, value: value, namelen: field.name.utf8.count, valuelen: field.value.utf8.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
        }
        if let body {
            responses[streamID] = body
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.read)
            _ = nghttp2_submit_response(session, streamID, nva, nva.count, &provider)
        } else {
            _ = nghttp2_submit_response(session, streamID, nva, nva.count, nil)
        }
    }
}
