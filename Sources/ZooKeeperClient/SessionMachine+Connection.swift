extension SessionMachine {
    /// The TCP connection asked for by `.connect` is up: send the ConnectRequest, nothing else.
    public mutating func connectionEstablished(now: UInt64) -> [Action] {
        guard case .connecting = phase else { return [] }
        phase = .handshaking(since: now)
        lastSend = now
        lastReceive = now
        probingForWipe = refusingSince.map { now >= $0 + timeoutNs } ?? false
        let request = ConnectRequest(
            lastZxidSeen: probingForWipe ? 0 : lastZxid, timeOut: configuration.sessionTimeoutMs, sessionId: sessionId,
            passwd: password, readOnly: configuration.allowReadOnly)
        return [.send(PacketFramer.frame(request.encoded()))]
    }

    /// The connection failed to open, or dropped. In-flight requests fail with
    /// `connectionLoss`; the next member is tried.
    public mutating func connectionFailed(now: UInt64) -> [Action] {
        switch phase {
        case .connecting:
            return beginAttempt(now: now)
        case .handshaking:
            // A member closes during the handshake when our lastZxid is ahead of it (or it is
            // read-only and we are not): try another, and remember since when this goes on.
            if sessionId != 0 && refusingSince == nil { refusingSince = now }
            return beginAttempt(now: now)
        case .connected:
            var actions = failInFlight(.connectionLoss)
            actions.append(.state(.suspended))
            if configuration.reconnectPauseNs > 0 {
                // Attempts after the pause start a fresh pass, at the next member.
                attemptsThisPass = 0
                phase = .waiting(until: now + configuration.reconnectPauseNs)
                return actions
            }
            return actions + beginAttempt(now: now)
        case .closing:
            return finishClose(connectionOpen: false)
        case .idle, .waiting, .closed, .authFailed:
            return []
        }
    }

    /// Drops the current connection at the layer above's request, as if it had failed: for a
    /// connection it has reason to think dead before the read timeout says so (nothing
    /// answered its own traffic). Requests on the wire fail with `connectionLoss` at once, and
    /// the next member is tried. Nothing happens without a connection.
    public mutating func abandonConnection(now: UInt64) -> [Action] {
        switch phase {
        case .connected, .handshaking: return dropConnection(now: now)
        default: return []
        }
    }

    /// Drops the current connection from our side (a dead peer, a protocol violation) and
    /// moves on as if it had failed.
    mutating func dropConnection(now: UInt64) -> [Action] {
        [.closeConnection] + connectionFailed(now: now)
    }

    /// A complete packet (length prefix removed) arrived on the current connection.
    public mutating func received(_ packet: [UInt8], now: UInt64) -> [Action] {
        lastReceive = now
        switch phase {
        case .handshaking:
            return handshakeReply(packet, now: now)
        case .connected, .closing:
            return reply(packet, now: now)
        default:
            return []
        }
    }

    mutating func handshakeReply(_ packet: [UInt8], now: UInt64) -> [Action] {
        let response: ConnectResponse
        do { response = try ConnectResponse.decode(packet) } catch { return dropConnection(now: now) }
        if response.isExpired {
            // Expired after a wipe probe: the ensemble's zxids restarted, so ours must too.
            return expire(now: now, connectionOpen: true, wiped: probingForWipe)
        }
        sessionId = response.sessionId
        password = response.passwd
        negotiatedTimeoutMs = response.timeOut
        readOnly = response.readOnly
        phase = .connected
        refusingSince = nil
        attemptsThisPass = 0
        var actions: [Action] = [.state(.connected(sessionId: sessionId, timeoutMs: negotiatedTimeoutMs, readOnly: readOnly))]
        // Order matters: auth first (watch restore may need its rights), then watches, then
        // user requests, so no request runs before its watches are back.
        authRepliesToSkip = auths.count - authWaiters.count
        for auth in auths {
            actions.append(.send(PacketFramer.request(RequestHeader(xid: Xid.auth, type: .auth), body: auth)))
        }
        for (op, record) in watches.restorePackets(relativeZxid: lastZxid, maxPathBytes: configuration.watchRestoreChunkBytes) {
            actions.append(.send(PacketFramer.request(RequestHeader(xid: Xid.setWatches, type: op), body: record)))
        }
        lastSend = now
        return actions + flushQueue(now: now)
    }

    /// The session is gone on the ensemble: everything bound to it fails, and a new session is
    /// started (the layer above learns from `.expired` that ephemerals and watches are gone),
    /// or with `endsOnExpiry` the machine ends.
    mutating func expire(now: UInt64, connectionOpen: Bool, wiped: Bool) -> [Action] {
        let old = sessionId
        var actions: [Action] = connectionOpen ? [.closeConnection] : []
        actions += failInFlight(.sessionExpired)
        actions += failQueued(.sessionExpired)
        sessionId = 0
        password = [UInt8](repeating: 0, count: 16)
        negotiatedTimeoutMs = configuration.sessionTimeoutMs
        watches = WatchRegistry()
        refusingSince = nil
        // After an ensemble wipe every member refuses our zxid forever: start from zero.
        if wiped { lastZxid = 0 }
        attemptsThisPass = 0
        actions.append(.state(.expired(sessionId: old)))
        if configuration.endsOnExpiry {
            phase = .closed
            actions.append(.state(.closed))
            return actions
        }
        return actions + beginAttempt(now: now)
    }

    mutating func failInFlight(_ error: ZooKeeperError) -> [Action] {
        let actions = inFlight[inFlightHead...].map { Action.complete($0.request.id, .failure(error)) }
            + authWaiters.map { .complete($0, .failure(error)) }
        inFlight.removeAll(keepingCapacity: true)
        inFlightHead = 0
        authWaiters.removeAll()
        return actions
    }

    mutating func failQueued(_ error: ZooKeeperError) -> [Action] {
        let actions = queued[queuedHead...].map { Action.complete($0.request.id, .failure(error)) }
        queued.removeAll(keepingCapacity: true)
        queuedHead = 0
        return actions
    }
}
