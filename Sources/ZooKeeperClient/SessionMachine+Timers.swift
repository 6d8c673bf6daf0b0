extension SessionMachine {
    /// Advances the clock: pings, dead-connection detection, connect-attempt timeouts, the pause
    /// between passes over the members, and queued requests past their deadline.
    public mutating func tick(now: UInt64) -> [Action] {
        var actions: [Action] = []
        switch phase {
        case .connecting(let since), .handshaking(let since):
            if now >= since + connectTimeoutNs { actions += dropConnection(now: now) }
        case .waiting(let until):
            if now >= until { actions += beginAttempt(now: now) }
        case .connected, .closing:
            if now >= lastReceive + readTimeoutNs {
                actions += dropConnection(now: now)
            } else if now >= lastSend + pingIntervalNs {
                lastSend = now
                actions.append(.send(PacketFramer.request(.ping)))
            }
        default:
            break
        }
        if phase != .connected {
            while queuedHead < queued.count && queued[queuedHead].deadline <= now {
                actions.append(.complete(queued[queuedHead].request.id, .failure(.connectionLoss)))
                queuedHead += 1
            }
            if queuedHead == queued.count {
                queued.removeAll(keepingCapacity: true)
                queuedHead = 0
            }
        }
        return actions
    }
}
