/// A request whose handler may answer later: an HTTP/1.1 connection's current request, or an
/// HTTP/2 stream. Parking, unparking and interruption are the same for both; only where the
/// answer goes differs (`ResponseTarget`). Loop-confined.
protocol ParkableRequest: ResponseTarget {
    /// Whether the handler parked the request.
    var parked: Bool { get set }
    /// Tells the current parked request's answer from a late one for an earlier request.
    var token: UInt64 { get set }
    var onInterrupt: DeferredResponse.InterruptHandler? { get set }
    var serverStats: HTTPServerStats { get }
}

extension ParkableRequest {
    /// Parks the request; the handler answers through the returned handle.
    func parkRequest(onInterrupt: DeferredResponse.InterruptHandler?) -> DeferredResponse {
        precondition(!parked, "deferResponse() is for the handler of the current request, once")
        parked = true
        self.onInterrupt = onInterrupt
        serverStats.add(serverStats.parkedRequests)
        return DeferredResponse(target: self, token: token)
    }

    func adopt(_ t: UInt64, onInterrupt: DeferredResponse.InterruptHandler?) -> Bool {
        guard parked, t == token else { return false }
        self.onInterrupt = onInterrupt
        return true
    }

    func unpark() {
        guard parked else { return }
        parked = false
        onInterrupt = nil
        token &+= 1
        serverStats.add(serverStats.parkedRequests, -1)
    }

    /// Tells the handler its client left (the answer is then discarded) or the server is
    /// shutting down (answer now).
    func interrupt(_ reason: DeferredResponse.Interruption) {
        let callback = onInterrupt
        let handle = DeferredResponse(target: self, token: token)
        if reason == .clientGone {
            if parked { serverStats.add(serverStats.abandonedParkedRequests) }
            unpark()
        }
        callback?(reason, handle)
    }
}
