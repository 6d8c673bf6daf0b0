import HTTPCore
import Reactor

extension HTTP1Connection: ParkableRequest, RequestSource {
    var isSecure: Bool { tls != nil }
    var serverStats: HTTPServerStats { owner.stats }
    var background: EventLoop? { owner.background }

    func park(onInterrupt: DeferredResponse.InterruptHandler?) -> DeferredResponse {
        precondition(phase == .handling, "deferResponse() is for the handler of the current request")
        return parkRequest(onInterrupt: onInterrupt)
    }

    func isCurrent(_ t: UInt64) -> Bool { parked && t == token }

    func completeDeferred(_ t: UInt64, _ response: HTTPResponse) {
        guard isCurrent(t), phase == .handling else { return }
        unpark()
        respond(response)
    }

    func startStream(_ t: UInt64, _ status: HTTPStatus, _ headers: HTTPHeaders) {
        guard isCurrent(t), phase == .handling, let head else { return }
        phase = .streaming
        streamStatus = status.code
        streamBytes = 0
        let framing: HTTP1ResponseSerializer.Framing = head.version == .http1_0 ? .untilClose : .chunked
        if framing == .untilClose { closeAfterResponse = true }
        streamFraming = framing
        owner.scratch.removeAll(keepingCapacity: true)
        HTTP1ResponseSerializer.writeHead(
            status: status, headers: headers, framing: framing, close: closeAfterResponse || owner.shuttingDown,
            http10KeepAlive: false, date: owner.currentDate(), serverFields: tls == nil ? [] : owner.tlsServerFields,
            into: &owner.scratch)
        owner.scratch.withUnsafeBytes { send($0) }
        if head.method == .head { finishStream(t) }
    }

    func streamChunk(_ t: UInt64, _ bytes: [UInt8]) {
        guard isCurrent(t), phase == .streaming, !bytes.isEmpty, head?.method != .head else { return }
        streamBytes += bytes.count
        if streamFraming == .chunked {
            owner.scratch.removeAll(keepingCapacity: true)
            bytes.withUnsafeBytes { HTTP1ResponseSerializer.writeChunk($0, into: &owner.scratch) }
            owner.scratch.withUnsafeBytes { send($0) }
        } else {
            bytes.withUnsafeBytes { send($0) }
        }
    }

    func finishStream(_ t: UInt64) {
        guard isCurrent(t), phase == .streaming else { return }
        if streamFraming == .chunked && head?.method != .head {
            owner.scratch.removeAll(keepingCapacity: true)
            HTTP1ResponseSerializer.writeLastChunk(into: &owner.scratch)
            owner.scratch.withUnsafeBytes { send($0) }
        }
        unpark()
        log(status: streamStatus, bytes: streamBytes)
        finishRequest(close: closeAfterResponse || owner.shuttingDown)
    }

    /// Graceful shutdown began: idle connections close now; others close after their answer,
    /// and parked handlers are asked to answer at once.
    func shutdownRequested() {
        switch phase {
        case .reading:
            if parser.isIdle && inbound.isEmpty && out.isEmpty {
                close()
            } else {
                closeAfterResponse = true
            }
        case .handling, .streaming:
            closeAfterResponse = true
            if parked { interrupt(.shutdown) }
        case .lingering, .closed:
            break
        }
    }

    /// The shutdown deadline passed: answer a still-parked request with 503, then close.
    func forceClose() {
        if phase == .handling && parked {
            completeDeferred(token, .problem(.serviceUnavailable, type: "shutting-down",
                detail: "The server is shutting down; retry on another replica.", headers: ["Retry-After": "1"]))
        } else if phase == .streaming && parked {
            finishStream(token)
        }
        close()
    }
}
