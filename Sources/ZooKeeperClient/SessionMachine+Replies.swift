extension SessionMachine {
    mutating func reply(_ packet: [UInt8], now: UInt64) -> [Action] {
        var reader = JuteReader(packet)
        let header: ReplyHeader
        do { header = try ReplyHeader(from: &reader) } catch { return dropConnection(now: now) }  // a short reply header
        let body = packet[ReplyHeader.encodedSize...]
        switch header.xid {
        case Xid.ping, Xid.setWatches:
            // A failed SetWatches leaves watches unrestored; the layer above resyncs on every
            // reconnect anyway, so there is nothing better to do than carry on.
            return []
        case Xid.notification:
            let event: WatcherEvent
            do { event = try WatcherEvent.decode(Array(body)) } catch { return dropConnection(now: now) }  // an undecodable notification
            watches.fired(event)
            return [.event(event)]
        case Xid.auth:
            return authReply(header.err, now: now)
        default:
            break
        }
        guard inFlightHead < inFlight.count, inFlight[inFlightHead].xid == header.xid else {
            // Replies come in request order; anything else means the stream cannot be trusted.
            return dropConnection(now: now)
        }
        let pending = inFlight[inFlightHead]
        inFlightHead += 1
        if inFlightHead == inFlight.count {
            inFlight.removeAll(keepingCapacity: true)
            inFlightHead = 0
        } else if inFlightHead > 1024 && inFlightHead * 2 > inFlight.count {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
        if header.zxid > lastZxid { lastZxid = header.zxid }
        if pending.request.op == .closeSession {
            return finishClose(connectionOpen: true)
        }
        var actions: [Action]
        if header.err == .ok {
            if let watch = pending.request.watch { watches.apply(watch) }
            let ordered = Self.commitOrdered.contains(pending.request.op)
            actions = [.complete(pending.request.id, .success(Reply(zxid: header.zxid, body: body, ordered: ordered)))]
        } else {
            // An exists on a missing node still leaves a watch for its creation.
            if header.err == .noNode, case .data(let path)? = pending.request.watch, pending.request.op == .exists {
                watches.apply(.exist(path))
            }
            actions = [.complete(pending.request.id, .failure(.server(header.err)))]
        }
        if phase == .connected { actions += flushQueue(now: now) }
        return actions
    }

    mutating func authReply(_ err: ErrorCode, now: UInt64) -> [Action] {
        if err == .authFailed {
            var actions: [Action] = [.closeConnection]
            actions += failInFlight(.authFailed)
            actions += failQueued(.authFailed)
            phase = .authFailed
            actions.append(.state(.authFailed))
            return actions
        }
        if authRepliesToSkip > 0 {
            authRepliesToSkip -= 1
            return []
        }
        guard !authWaiters.isEmpty else { return [] }
        let id = authWaiters.removeFirst()
        return [.complete(id, err == .ok ? .success(Reply(zxid: 0, body: [])) : .failure(.server(err)))]
    }

}

extension SessionMachine {
    /// Requests the server answers from its commit pipeline, in zxid order with notifications.
    static let commitOrdered: Set<OpCode> = [
        .create, .create2, .createContainer, .createTTL, .delete, .setData, .multi, .sync, .check,
    ]
}

extension ReplyHeader {
    /// xid (4) + zxid (8) + err (4).
    public static let encodedSize = 16
}
