import CNGHTTP2

/// An nghttp2 client session on memory, driven by a test (through a socket or straight into
/// a server session): it records what the server sent.
public final class HTTP2TestClient {
    var session: OpaquePointer?
    public var statuses: [Int32: String] = [:]
    public var bodies: [Int32: [UInt8]] = [:]
    public var ended: Set<Int32> = []
    public var goAwayCode: UInt32?
    public var goAwayLastStream: Int32?
    public var resets: [Int32: UInt32] = [:]

    /// - Parameter initialWindowSize: the stream flow-control window to announce.
    public init(initialWindowSize: UInt32? = nil) {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            let c = Unmanaged<HTTP2TestClient>.fromOpaque(user!).takeUnretainedValue()
            let n = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
            if n == ":status" {
                c.statuses[frame!.pointee.hd.stream_id] = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, user in
            let c = Unmanaged<HTTP2TestClient>.fromOpaque(user!).takeUnretainedValue()
            c.bodies[id, default: []] += Array(UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            let c = Unmanaged<HTTP2TestClient>.fromOpaque(user!).takeUnretainedValue()
            let hd = frame!.pointee.hd
            if hd.type == UInt8(NGHTTP2_GOAWAY.rawValue) {
                c.goAwayCode = frame!.pointee.goaway.error_code
                c.goAwayLastStream = frame!.pointee.goaway.last_stream_id
            }
            if hd.type == UInt8(NGHTTP2_RST_STREAM.rawValue) { c.resets[hd.stream_id] = frame!.pointee.rst_stream.error_code }
            if hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 { c.ended.insert(hd.stream_id) }
            return 0
        }
        nghttp2_session_client_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        var entries: [nghttp2_settings_entry] = []
        if let initialWindowSize {
            entries.append(nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: initialWindowSize))
        }
        nghttp2_submit_settings(session, 0, &entries, entries.count)
    }

    deinit { nghttp2_session_del(session) }

    /// Submits a request; returns its stream id.
    @discardableResult
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []) -> Int32 {
        withHeaders(method, path, headers) { submit($0, body) }
    }

    private func submit(_ nva: [nghttp2_nv], _ body: [UInt8]?) -> Int32 {
        guard let body else { return nghttp2_submit_request(session, nil, nva, nva.count, nil, nil) }
        pendingBody = body
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil)) { _, _, buffer, length, flags, _, user in
            let c = Unmanaged<HTTP2TestClient>.fromOpaque(user!).takeUnretainedValue()
            let n = min(length, c.pendingBody.count)
            c.pendingBody.withUnsafeBufferPointer { buffer!.update(from: $0.baseAddress!, count: n) }
            c.pendingBody.removeFirst(n)
            if c.pendingBody.isEmpty { flags!.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue) }
            return n
        }
        return nghttp2_submit_request(session, nil, nva, nva.count, &provider, nil)
    }

    var pendingBody: [UInt8] = []

    /// Sends a request's headers and then nothing: a body that never comes.
    @discardableResult
    public func requestStalled(_ method: String, _ path: String) -> Int32 {
        withHeaders(method, path, []) { nva in
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil)) { _, _, _, _, _, _, _ in
                Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
            return nghttp2_submit_request(session, nil, nva, nva.count, &provider, nil)
        }
    }

    /// The request's header block, alive for the duration of `body` (nghttp2 copies it).
    private func withHeaders(_ method: String, _ path: String, _ headers: [(String, String)],
                             _ body: ([nghttp2_nv]) -> Int32) -> Int32 {
        let fields = [(":method", method), (":path", path), (":scheme", "http"), (":authority", "localhost")] + headers
        let total = fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        defer { buffer.deallocate() }
        var nva: [nghttp2_nv] = []
        var offset = 0
        for (name, value) in fields {
            let n = buffer + offset
            for byte in name.utf8 { buffer[offset] = byte; offset += 1 }
            let v = buffer + offset
            for byte in value.utf8 { buffer[offset] = byte; offset += 1 }
            nva.append(nghttp2_nv(name: n, value: v, namelen: name.utf8.count, valuelen: value.utf8.count, flags: 0))
        }
        return body(nva)
    }

    public func reset(_ stream: Int32, errorCode: UInt32 = UInt32(NGHTTP2_CANCEL.rawValue)) {
        nghttp2_submit_rst_stream(session, 0, stream, errorCode)
    }

    public func outgoing() -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            var chunk: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &chunk)
            guard n > 0, let chunk else { break }
            bytes += UnsafeBufferPointer(start: chunk, count: n)
        }
        return bytes
    }

    public func incoming(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBufferPointer { nghttp2_session_mem_recv(session, $0.baseAddress, $0.count) }
    }

    public var serverMaxConcurrentStreams: UInt32 {
        nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
    }
}

