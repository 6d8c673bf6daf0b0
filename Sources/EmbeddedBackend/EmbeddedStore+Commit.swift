import Coordination
import Dispatch
import Storage

extension EmbeddedStore {
    public func commit(_ operations: [Operation], session: Int64?) async throws(MultiFailure)
        -> (results: [OperationResult], zxid: Int64)
    {
        let outcome = try await submit(.operations(operations, session: session))
        guard case .success(let results) = outcome.result else { preconditionFailure("submit returns successes only") }
        return (results, outcome.zxid)
    }

    /// Validates against `head`, logs, and returns once the record is durable and its changes
    /// published.
    func submit(_ transaction: Transaction) async throws(MultiFailure) -> TransactionOutcome {
        let result: Result<TransactionOutcome, MultiFailure> = await withCheckedContinuation { continuation in
            submit(transaction) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// What a client is told when the log has failed for good; the cause, with its path, goes
    /// to the server log only.
    static let logFailed = CoordinationError.unavailable("the data folder cannot be written; see the server log")

    /// The callback form of `submit`, for the sweeper (no caller waits).
    func submit(_ transaction: Transaction, done: (@Sendable (Result<TransactionOutcome, MultiFailure>) -> Void)?) {
        // Encoded before the lock: the record's size counts towards the next snapshot.
        let body = transaction.encode()
        let recordBytes = LogRecordCodec.recordHeaderSize + LogEntry.headerSize + body.count
        // `appendOrder` keeps log order equal to zxid order without holding `state` across the
        // append: a closed log completes the append at once, and that completion takes `state`.
        appendOrder.withLock { _ in
            let accepted: Result<(Int64, Int64, Bool), MultiFailure> = state.withLock { s in
                if s.failure != nil { return .failure(MultiFailure(index: -1, error: Self.logFailed)) }
                if s.suspended {
                    // Writes accepted before the disk filled are still failing: `head` holds them.
                    guard s.pending.isEmpty else { return .failure(MultiFailure(index: -1, error: .storageFull)) }
                    guard log.resume() else {
                        s.failure = log.failure ?? .closed
                        logger.critical("the write-ahead log cannot go on after a full disk; writes are refused from now on",
                            metadata: ["error": "\(s.failure!)"])
                        return .failure(MultiFailure(index: -1, error: Self.logFailed))
                    }
                    s.head = s.durable
                    s.suspended = false
                }
                // A session past its deadline is expired now, not at the next sweep: nothing may
                // be created in its name in between.
                if case .operations(_, let session?) = transaction, let deadline = s.deadlines[session],
                    deadline <= Self.monotonicNanoseconds()
                {
                    return .failure(MultiFailure(index: 0, error: .sessionExpired(session)))
                }
                let zxid = s.head.lastZxid + 1
                let time = WallClock.milliseconds()
                let sizeBefore = s.head.storedBytes
                // On a full disk nothing may grow; otherwise the quota applies.
                let limit: Int? = s.storageFull ? sizeBefore : configuration.quotaBytes > 0 ? configuration.quotaBytes : nil
                let outcome = s.head.apply(transaction, zxid: zxid, time: time, sizeLimit: limit)
                if case .failure(let failure) = outcome.result {
                    if s.storageFull, case .quotaExceeded = failure.error {
                        return .failure(MultiFailure(index: -1, error: .storageFull))
                    }
                    return .failure(failure)
                }
                s.recordsSinceSnapshot += 1
                s.bytesSinceSnapshot += recordBytes
                var point = false
                if !s.snapshotting {
                    point = configuration.snapshotPolicy.isDue(
                        records: s.recordsSinceSnapshot, bytes: s.bytesSinceSnapshot, liveBytes: s.head.storedBytes)
                        // On a full disk, deleting is the way to make room: a snapshot of the
                        // smaller tree lets the log it covers go, once that log is at least as
                        // large as the snapshot would be (else it would only fill the disk).
                        || (s.storageFull && s.head.storedBytes < sizeBefore && s.bytesSinceSnapshot >= s.head.storedBytes)
                }
                if point {
                    s.snapshotting = true
                    s.recordsSinceSnapshot = 0
                    s.bytesSinceSnapshot = 0
                }
                s.pending.append(Pending(zxid: zxid, time: time, transaction: transaction, done: done, snapshotPoint: point))
                return .success((zxid, time, point))
            }
            switch accepted {
            case .failure(let refused):
                done?(.failure(refused))
            case .success(let (zxid, time, point)):
                log.append(LogEntry.encode(zxid: zxid, time: time, body: body), endsSegment: point) { [weak self] result in
                    self?.logged(zxid: zxid, result)
                }
            }
        }
    }

    /// On the log's writer thread, in sequence order: the record is durable (or failed).
    func logged(zxid: Int64, _ result: Result<UInt64, StorageError>) {
        var outcome: TransactionOutcome?
        var sink: (@Sendable (ChangeBatch) -> Void)?
        var snapshotOf: (tree: DataTree, sequence: UInt64)?
        var armAfter = false
        var becameFull = false
        let pending: Pending? = state.withLock { s in
            guard let first = s.pending.first, first.zxid == zxid else { return nil }
            s.pending.removeFirst()
            switch result {
            case .success(let sequence):
                let applied = s.durable.apply(first.transaction, zxid: first.zxid, time: first.time)
                if !s.expirables, case .operations(let operations, _) = first.transaction {
                    s.expirables = operations.contains {
                        if case .create(_, _, let mode, _) = $0 { return mode.isContainer || mode.isTTL }
                        return false
                    }
                    armAfter = s.expirables
                }
                outcome = applied
                sink = s.sink
                if first.snapshotPoint {
                    // The tree exactly as of this record, which ends its log segment: the rest
                    // of its batch is not in it yet, so the snapshot is labelled with this
                    // record's sequence, not the batch's last one.
                    snapshotOf = (s.durable, sequence)
                }
            case .failure(let error) where error.isOutOfSpace:
                // Nothing after this record was logged either (the log is suspended), but
                // `head` already holds it and maybe more: `submit` resets `head` once they have
                // all failed.
                if first.snapshotPoint { s.snapshotting = false }
                if !s.storageFull { becameFull = true }
                s.storageFull = true
                s.suspended = true
            case .failure(let error):
                // The head tree now holds a write that is not on disk: stop acknowledging.
                s.failure = s.failure ?? error
            }
            return first
        }
        guard let pending else { return }
        switch result {
        case .success:
            guard let outcome else { return }
            // Publish before answering: a client that reads after its write's answer on the
            // same loop then finds its cache already invalidated.
            if !outcome.events.isEmpty { sink?(ChangeBatch(events: outcome.events, zxid: outcome.zxid)) }
            pending.done?(.success(outcome))
            if let snapshotOf { snapshot(snapshotOf.tree, sequence: snapshotOf.sequence) }
            if armAfter { armSweep() }
        case .failure(let error) where error.isOutOfSpace:
            if becameFull {
                logger.error("the data folder's disk is full; writes that grow the store are refused until there is room",
                    metadata: ["error": "\(error)"])
                enterStorageFull()
            }
            pending.done?(.failure(MultiFailure(index: -1, error: .storageFull)))
        case .failure(let error):
            logger.critical("the write-ahead log failed; writes are refused from now on", metadata: ["error": "\(error)"])
            pending.done?(.failure(MultiFailure(index: -1, error: Self.logFailed)))
        }
    }

    /// Writes a snapshot of the durable tree off the writer thread, then drops the log
    /// segments it covers.
    ///
    /// The order is what makes this crash-safe: the snapshot is durable (file fsynced, renamed,
    /// folder fsynced) before the older snapshot and any segment are deleted, and segments go
    /// oldest first, so a crash at any point leaves a snapshot with the whole log after it.
    func snapshot(_ tree: DataTree, sequence: UInt64) {
        queue.async { [self] in
            defer { state.withLock { $0.snapshotting = false } }
            do {
                try snapshots.write(sequence: sequence, bytes: tree.snapshot())
                let removed = try log.removeSegments(coveredBy: sequence)
                logger.info("snapshot written", metadata: [
                    "sequence": "\(sequence)", "zxid": "\(tree.lastZxid)", "nodes": "\(tree.nodeCount)",
                    "bytes": "\(tree.storedBytes)", "removedSegments": "\(removed)",
                ])
            } catch {
                logger.error("snapshot failed; the log keeps every record", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The disk is full: give the reserve back so deletes can be logged, and watch for room.
    func enterStorageFull() {
        state.withLock { $0.storageFull = true }
        let released = directory.releaseReserve()
        if released > 0 { logger.notice("released the data folder's reserve", metadata: ["bytes": "\(released)"]) }
        queue.async { [weak self] in self?.pollSpace() }
    }

    /// While the disk is full: every 250 ms, once the disk has room for the reserve and as much
    /// again (at least 64 KiB), re-make the reserve and accept growing writes again.
    func pollSpace() {
        guard state.withLock({ $0.storageFull && $0.failure == nil }) else { return }
        let reserve = configuration.reserveBytes
        let needed = reserve + max(reserve, 64 << 10)
        if let available = try? directory.availableBytes(), available + directory.reserveBytes >= needed {
            do {
                try directory.createReserve(bytes: reserve)
                state.withLock { $0.storageFull = false }
                logger.notice("the data folder's disk has room again; all writes are accepted",
                    metadata: ["availableBytes": "\(available)"])
                return
            } catch {
                // Taken by someone else meanwhile: keep waiting.
            }
        }
        queue.asyncAfter(deadline: .now() + .milliseconds(250)) { [weak self] in self?.pollSpace() }
    }
}
