extension SessionMachine {
    /// The id `close()` uses for its closeSession request; callers must not use it.
    public static let closeRequestID: RequestID = .max

    /// Queues a request. It goes on the wire at once when connected and under the in-flight
    /// cap, else when a connection comes up; it fails with `connectionLoss` if none does within
    /// the session timeout.
    public mutating func submit(_ request: Request, now: UInt64) -> [Action] {
        switch phase {
        case .closed, .closing: return [.complete(request.id, .failure(.closed))]
        case .authFailed: return [.complete(request.id, .failure(.authFailed))]
        default: break
        }
        let size = request.body.count + 8
        guard size <= configuration.maxPacketLength else {
            return [.complete(request.id, .failure(.packetTooLarge(size, limit: configuration.maxPacketLength)))]
        }
        queued.append(Queued(request: request, deadline: now + UInt64(configuration.sessionTimeoutMs) * 1_000_000))
        return phase == .connected ? flushQueue(now: now) : []
    }

    /// Sends queued requests while the in-flight cap allows.
    mutating func flushQueue(now: UInt64) -> [Action] {
        var actions: [Action] = []
        while queuedHead < queued.count && inFlightCount < configuration.maxInFlight {
            let request = queued[queuedHead].request
            queuedHead += 1
            actions.append(send(request, now: now))
        }
        if queuedHead == queued.count {
            queued.removeAll(keepingCapacity: true)
            queuedHead = 0
        }
        return actions
    }

    mutating func send(_ request: Request, now: UInt64) -> Action {
        xid = xid == Int32.max ? 1 : xid + 1
        inFlight.append(Pending(request: request, xid: xid))
        lastSend = now
        var w = JuteWriter(capacity: request.body.count + 12)
        w.writeInt32(Int32(request.body.count + 8))
        w.writeInt32(xid)
        w.writeInt32(request.op.rawValue)
        w.writeRaw(request.body)
        return .send(w.bytes)
    }

    /// Adds credentials for this session and every later reconnect (digest: `user:password`).
    /// `id` completes when the server accepts them; a refusal ends the session (`authFailed`).
    public mutating func addAuth(_ packet: AuthPacket, id: RequestID, now: UInt64) -> [Action] {
        if isTerminal { return [.complete(id, .failure(phase == .authFailed ? .authFailed : .closed))] }
        auths.append(packet)
        authWaiters.append(id)
        guard phase == .connected else { return [] }
        lastSend = now
        return [.send(PacketFramer.request(RequestHeader(xid: Xid.auth, type: .auth), body: packet))]
    }

    /// Closes the session on the ensemble (its ephemerals go at once), then the connection.
    /// Queued requests fail with `closed`; those in flight are answered first.
    public mutating func close(now: UInt64) -> [Action] {
        switch phase {
        case .closed, .authFailed, .closing:
            return []
        case .connected:
            var actions = failQueued(.closed)
            actions.append(send(Request(id: Self.closeRequestID, op: .closeSession, body: []), now: now))
            phase = .closing
            return actions
        case .idle, .waiting:
            return finishClose(connectionOpen: false)
        case .connecting, .handshaking:
            return finishClose(connectionOpen: true)
        }
    }

    /// Leaves the session to live on without this client: the connection closes with no
    /// closeSession, so the ephemerals stay for whichever client attaches to the session next
    /// (or until the ensemble expires it). Everything pending fails with `closed`.
    public mutating func abandon() -> [Action] {
        switch phase {
        case .closed, .authFailed: return []
        case .idle, .waiting: return finishClose(connectionOpen: false)
        case .connecting, .handshaking, .connected, .closing: return finishClose(connectionOpen: true)
        }
    }

    mutating func finishClose(connectionOpen: Bool) -> [Action] {
        var actions: [Action] = connectionOpen ? [.closeConnection] : []
        actions += failInFlight(.closed)
        actions += failQueued(.closed)
        phase = .closed
        actions.append(.state(.closed))
        return actions
    }
}
