import CNGHTTP2

/// nghttp2's callbacks: they run inside `nghttp2_session_mem_recv` and `mem_send`, on the
/// session's own thread, and only record what happened for `receive` to return.
extension HTTP2Session {
    static func of(_ user: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(user!).takeUnretainedValue()
    }

    static func install(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks) { _, header, user in
            guard let header, header.pointee.type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
            return HTTP2Session.of(user).checkStreamOrder(header.pointee.stream_id) ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, user in
            if let frame, frame.pointee.hd.type == UInt8(NGHTTP2_RST_STREAM.rawValue) {
                HTTP2Session.of(user).noteResetSent(frame.pointee.hd.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, user in
            guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
                frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
            else { return 0 }
            let id = frame.pointee.hd.stream_id
            let s = HTTP2Session.of(user)
            s.receiving[id] = Request(streamID: id, method: "", path: "", authority: nil, scheme: nil, headers: [], body: [])
            s.receivingSince[id] = s.now
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            guard let frame, let name, let value else { return 0 }
            let s = HTTP2Session.of(user)
            let id = frame.pointee.hd.stream_id
            guard s.receiving[id] != nil else { return 0 }
            // SETTINGS_MAX_HEADER_LIST_SIZE counts each field as name + value + 32 (RFC 9113
            // §6.5.2). A request over it keeps being decoded (the HPACK table must stay in step
            // with the client's) but its fields are dropped, and once the block ends it is
            // answered 431, as HTTP/1.1 answers a header section over the limit.
            guard !s.oversizedHeaders.contains(id) else { return 0 }
            s.headerBytes[id, default: 0] += nameLength + valueLength + 32
            if s.headerBytes[id]! > Int(s.settings.maxHeaderListSize) {
                s.oversizedHeaders.insert(id)
                s.receiving[id]!.headers = []
                return 0
            }
            let n = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
            let v = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            switch n {
            case ":method": s.receiving[id]!.method = v
            case ":path": s.receiving[id]!.path = v
            case ":authority": s.receiving[id]!.authority = v
            case ":scheme": s.receiving[id]!.scheme = v
            default: s.receiving[id]!.headers.append(Field(n, v))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, user in
            let s = HTTP2Session.of(user)
            guard let data, s.receiving[id] != nil, !s.oversized.contains(id) else { return 0 }
            if s.receiving[id]!.body.count + length > s.settings.maxBody {
                s.oversized.insert(id)
                s.receiving[id]!.body = []
                return 0
            }
            s.receiving[id]!.body.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            guard let frame else { return 0 }
            let s = HTTP2Session.of(user)
            let id = frame.pointee.hd.stream_id
            let type = frame.pointee.hd.type
            if type == UInt8(NGHTTP2_RST_STREAM.rawValue) {
                s.noteReset()
                return 0
            }
            if type == UInt8(NGHTTP2_SETTINGS.rawValue) {
                // The client's preface ends with its first SETTINGS frame.
                s.prefaceReceived = true
                return 0
            }
            let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            if type == UInt8(NGHTTP2_HEADERS.rawValue) {
                s.headerBytes.removeValue(forKey: id)
                if s.oversizedHeaders.remove(id) != nil, s.receiving.removeValue(forKey: id) != nil {
                    // Its DATA, if any follows, is dropped: `receiving` no longer has it.
                    s.receivingSince.removeValue(forKey: id)
                    s.oversized.remove(id)
                    s.events.append(.headersTooLarge(streamID: id))
                    return 0
                }
            }
            guard endStream, type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue),
                let request = s.receiving.removeValue(forKey: id)
            else { return 0 }
            s.receivingSince.removeValue(forKey: id)
            if s.oversized.remove(id) != nil {
                s.events.append(.bodyTooLarge(streamID: id))
            } else {
                s.events.append(.request(request))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, errorCode, user in
            let s = HTTP2Session.of(user)
            s.receiving.removeValue(forKey: id)
            s.receivingSince.removeValue(forKey: id)
            s.headerBytes.removeValue(forKey: id)
            s.oversizedHeaders.remove(id)
            s.oversized.remove(id)
            s.responses.removeValue(forKey: id)
            s.events.append(.streamClosed(streamID: id, errorCode: errorCode))
            return 0
        }
    }

    /// The body of an answer, as nghttp2 asks for it within flow control; DEFERRED while a
    /// started stream has nothing new (nghttp2 asks again after `resume_data`).
    static let read: nghttp2_data_source_read_callback = { _, id, buffer, length, flags, _, user in
        let s = HTTP2Session.of(user)
        guard let outgoing = s.responses[id], let buffer, let flags else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        let available = outgoing.data.count - outgoing.offset
        if available == 0 {
            guard outgoing.finished else { return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
            flags.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
            return 0
        }
        let n = min(available, length)
        outgoing.data.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + outgoing.offset, count: n) }
        outgoing.offset += n
        if outgoing.offset == outgoing.data.count {
            // Sent: the bytes need not stay.
            outgoing.data.removeAll(keepingCapacity: false)
            outgoing.offset = 0
            if outgoing.finished { flags.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue) }
        }
        return n
    }

    /// Whether a HEADERS frame on `id` may be processed. A client's streams open in increasing
    /// order (RFC 9113 §5.1.1): HEADERS on a lower id that is not open is a connection error
    /// (PROTOCOL_ERROR), since that stream is closed or was skipped. nghttp2 ignores such a
    /// block instead, because the stream may be one it reset while the client's trailers were
    /// in flight; those, the streams this server reset, are still ignored here (§5.1 asks it).
    func checkStreamOrder(_ id: Int32) -> Bool {
        guard id & 1 == 1 else { return true }
        let highest = max(highestClientStream, nghttp2_session_get_last_proc_stream_id(session))
        if id > highest {
            highestClientStream = id
            return true
        }
        if nghttp2_session_find_stream(session, id) != nil || resetSent.contains(id) { return true }
        streamOrderViolation = "HEADERS on stream \(id), below stream \(highest) and not open"
        return false
    }

    /// Remembers a stream this server reset (the last `maxRememberedResets` of them), whose
    /// client may still send frames that crossed the RST_STREAM.
    func noteResetSent(_ id: Int32) {
        resetSent.insert(id)
        if resetSent.count > Self.maxRememberedResets, let oldest = resetSent.min() { resetSent.remove(oldest) }
    }

    static let maxRememberedResets = 256

    /// Counts a reset from the peer; past the limit, queues GOAWAY(ENHANCE_YOUR_CALM).
    func noteReset() {
        let window = UInt64(settings.resetWindowMs) * 1_000_000
        resets.append(now)
        let cut = resets.firstIndex { now - $0 <= window } ?? resets.count
        if cut > 0 { resets.removeFirst(cut) }
        guard resets.count > settings.maxResetsPerWindow, !resetLimitHit else { return }
        resetLimitHit = true
        let last = nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, UInt32(NGHTTP2_ENHANCE_YOUR_CALM.rawValue), nil, 0)
    }
}
