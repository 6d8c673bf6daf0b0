import Coordination
import Dispatch

extension EmbeddedStore {
    /// Session timeouts the store accepts (ms).
    public static let sessionTimeouts: ClosedRange<Int64> = 1_000...3_600_000

    public func openSession(timeoutMs: Int64) async throws(CoordinationError) -> SessionInfo {
        guard Self.sessionTimeouts.contains(timeoutMs) else {
            throw .badArguments("a session timeout must be from \(Self.sessionTimeouts.lowerBound) to \(Self.sessionTimeouts.upperBound) ms")
        }
        var generator = SystemRandomNumberGenerator()
        var id: Int64 = 0
        repeat {
            id = Int64(bitPattern: generator.next())
        } while !EphemeralType.isValidSessionID(id) || state.withLock { $0.head.sessions[id] != nil }
        do {
            _ = try await submit(.createSession(id: id, timeoutMs: timeoutMs))
        } catch {
            throw error.error
        }
        let deadline = Self.monotonicNanoseconds() + UInt64(timeoutMs) * 1_000_000
        state.withLock { $0.deadlines[id] = deadline }
        armSweep()
        return SessionInfo(id: id, timeoutMs: timeoutMs, expiresInMs: timeoutMs)
    }

    public var deviceSessionCount: Int { state.withLock { $0.durable.sessions.count } }

    /// Renewals only move the deadline in memory: one log write per renewal would cap the
    /// number of devices at the disk's sync rate.
    public func renewSession(_ id: Int64) async throws(CoordinationError) -> SessionInfo {
        let now = Self.monotonicNanoseconds()
        let info: SessionInfo? = state.withLock { s in
            guard let timeout = s.durable.sessions[id], let deadline = s.deadlines[id], deadline > now else { return nil }
            s.deadlines[id] = now + UInt64(timeout) * 1_000_000
            return SessionInfo(id: id, timeoutMs: timeout, expiresInMs: timeout)
        }
        guard let info else { throw .sessionExpired(id) }
        return info
    }

    public func session(_ id: Int64) async throws(CoordinationError) -> SessionInfo {
        let now = Self.monotonicNanoseconds()
        let info: SessionInfo? = state.withLock { s in
            guard let timeout = s.durable.sessions[id], let deadline = s.deadlines[id], deadline > now else { return nil }
            return SessionInfo(
                id: id, timeoutMs: timeout, expiresInMs: Int64((deadline - now) / 1_000_000),
                ephemerals: s.durable.ephemerals(of: id) ?? [])
        }
        guard let info else { throw .sessionExpired(id) }
        return info
    }

    public func closeSession(_ id: Int64) async throws(CoordinationError) {
        let deadline = state.withLock { $0.deadlines.removeValue(forKey: id) }
        do {
            _ = try await submit(.closeSession(id: id))
        } catch {
            // Not closed (the disk was full while it was tried): it must still expire.
            if let deadline { keepExpiring(id, deadline: deadline) }
            throw error.error
        }
    }

    /// Puts back the deadline of a session whose close was not logged, so the sweep closes it.
    func keepExpiring(_ id: Int64, deadline: UInt64) {
        state.withLock { s in
            if s.durable.sessions[id] != nil && s.deadlines[id] == nil { s.deadlines[id] = deadline }
        }
        armSweep()
    }

    /// Expires sessions past their deadline (everything they own goes in one transaction), and
    /// deletes containers left empty and TTL nodes past their TTL. Runs on the maintenance queue.
    func sweep() {
        let now = Self.monotonicNanoseconds()
        let wall = WallClock.milliseconds()
        let (expired, cleanups): ([Int64], [Transaction]) = state.withLock { s in
            guard s.failure == nil else { return ([], []) }
            let expired = s.deadlines.filter { $0.value <= now }.map(\.key)
            for id in expired { s.deadlines.removeValue(forKey: id) }
            return (expired, s.durable.expiredContainers() + s.durable.expiredTTLNodes(now: wall))
        }
        for id in expired {
            logger.info("session expired", metadata: ["session": "\(String(UInt64(bitPattern: id), radix: 16))"])
            submit(.closeSession(id: id)) { [weak self] result in
                // Tried again a second later if the disk was full.
                if case .failure = result { self?.keepExpiring(id, deadline: Self.monotonicNanoseconds() + 1_000_000_000) }
            }
        }
        // Version-guarded deletes: a node that changed meanwhile fails harmlessly.
        for cleanup in cleanups { submit(cleanup, done: nil) }
        armSweep()
    }

    /// Arms the sweep for when it can have work: the earliest session deadline, and every
    /// `sweepIntervalMs` while container or TTL nodes may exist. With neither, no timer runs,
    /// so an idle store uses no CPU.
    func armSweep() {
        let now = Self.monotonicNanoseconds()
        let interval = UInt64(configuration.sweepIntervalMs) * 1_000_000
        let delay: UInt64? = state.withLock { s in
            var next = s.deadlines.values.min().map { $0 > now ? $0 - now : 0 }
            if s.expirables { next = min(next ?? interval, interval) }
            return next
        }
        if let delay {
            sweeper.schedule(deadline: DispatchTime.now() + DispatchTimeInterval.nanoseconds(Int(max(delay, 1_000_000))))
        } else {
            sweeper.schedule(deadline: .distantFuture)
        }
    }
}
