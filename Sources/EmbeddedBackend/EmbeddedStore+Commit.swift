import Coordination
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

    /// The callback form of `submit`, for the sweeper (no caller waits).
    func submit(_ transaction: Transaction, done: (@Sendable (Result<TransactionOutcome, MultiFailure>) -> Void)?) {
        // `appendOrder` keeps log order equal to zxid order without holding `state` across the
        // append: a closed log completes the append at once, and that completion takes `state`.
        appendOrder.withLock { _ in
            let accepted: Result<(Int64, Int64), MultiFailure> = state.withLock { s in
                if let failure = s.failure {
                    return .failure(MultiFailure(index: -1, error: .unavailable("the data folder cannot be written: \(failure)")))
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
                let outcome = s.head.apply(transaction, zxid: zxid, time: time)
                if case .failure(let failure) = outcome.result { return .failure(failure) }
                s.pending.append(Pending(zxid: zxid, time: time, transaction: transaction, done: done))
                return .success((zxid, time))
            }
            switch accepted {
            case .failure(let refused):
                done?(.failure(refused))
            case .success(let (zxid, time)):
                log.append(LogEntry(zxid: zxid, time: time, transaction: transaction).encode()) { [weak self] result in
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
                s.recordsSinceSnapshot += 1
                if s.recordsSinceSnapshot >= configuration.snapshotEvery && !s.snapshotting {
                    s.snapshotting = true
                    s.recordsSinceSnapshot = 0
                    // The tree exactly as of this record: the rest of its batch is not in it yet,
                    // so the snapshot must be labelled with this record's sequence, not the
                    // batch's last one.
                    snapshotOf = (s.durable, sequence)
                }
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
        case .failure(let error):
            logger.critical("the write-ahead log failed; writes are refused from now on", metadata: ["error": "\(error)"])
            pending.done?(.failure(MultiFailure(index: -1, error: .unavailable("the data folder cannot be written: \(error)"))))
        }
    }

    /// Writes a snapshot of the durable tree off the writer thread, then drops the log
    /// segments it covers.
    func snapshot(_ tree: DataTree, sequence: UInt64) {
        queue.async { [self] in
            defer { state.withLock { $0.snapshotting = false } }
            do {
                try snapshots.write(sequence: sequence, bytes: tree.snapshot())
                // Trim only what the oldest kept snapshot covers: if the newest one turns out
                // damaged, recovery falls back to the older one and needs the log since it.
                let oldest = try snapshots.retainedSequences().min() ?? 0
                let removed = try log.removeSegments(coveredBy: oldest)
                logger.info("snapshot written", metadata: [
                    "sequence": "\(sequence)", "zxid": "\(tree.lastZxid)", "nodes": "\(tree.nodeCount)",
                    "removedSegments": "\(removed)",
                ])
            } catch {
                logger.error("snapshot failed; the log keeps every record", metadata: ["error": "\(error)"])
            }
        }
    }
}
