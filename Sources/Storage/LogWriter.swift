import CZKShims
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The log's writer thread and the queue in front of it: group commit.
///
/// Appenders only enqueue (under a mutex held for a few instructions). The writer thread takes
/// everything queued at once, encodes it into one buffer, writes it with one write(2) (more
/// only if the kernel takes it in pieces), calls fdatasync once, and then runs the completions
/// in sequence order. While it waits on the disk, new appends queue up and form the next
/// batch, so the number of fdatasyncs adapts to the disk's speed instead of the append rate.
final class LogWriter: @unchecked Sendable {
    // @unchecked: the fields below `lock` are guarded by it; the writer-thread fields are
    // touched only by that thread (and by `init` before it starts).

    struct Pending {
        var sequence: UInt64
        var payload: [UInt8]
        /// The record is the last of its segment: the next one starts a new segment.
        var endsSegment: Bool
        var completion: @Sendable (Result<UInt64, StorageError>) -> Void
    }

    let directory: DataDirectory
    let segmentSize: Int
    let counters = LogCounters()

    // Guarded by `lock`.
    private let lock = ConditionLock()
    private var queue: [Pending] = []
    private var nextSequence: UInt64
    private var durableSequence: UInt64
    private var closing = false
    private var failure: StorageError?
    /// Whether `failure` is a full disk that left the file as it was before the failed batch,
    /// so `resume` may clear it.
    private var suspended = false
    private var segments: [SegmentFile]

    // Writer thread only.
    private var activeDescriptor: Int32
    private var activePath: String
    private var activeSize: Int
    private var buffer: [UInt8] = []
    /// A record that ends its segment was written, and the rotation after it has not happened
    /// yet (it failed, e.g. for lack of space): rotate before the next write.
    private var rotationDue = false

    /// Serialises `removeSegments` calls (the unlinks happen outside `lock`).
    private let removal = Mutex(())
    /// Whether the thread was joined or detached; under a mutex so a second `close` waits for
    /// the first one's join instead of returning before the queue is drained.
    private let threadDisposed = Mutex(false)
    private var thread = pthread_t()

    /// Takes over `outcome`'s descriptor and starts the writer thread.
    ///
    /// - Throws: `StorageError.io` when the thread cannot be created.
    init(directory: DataDirectory, segmentSize: Int, recovered outcome: LogRecovery.Outcome) throws(StorageError) {
        self.directory = directory
        self.segmentSize = segmentSize
        nextSequence = outcome.nextSequence
        durableSequence = outcome.nextSequence - 1
        segments = outcome.segments
        activeDescriptor = outcome.activeDescriptor
        activePath = directory.file(outcome.segments.last!.name)
        activeSize = outcome.activeSize

        // The thread holds the writer (not the public log), so the log's deinit can close it.
        let box = Unmanaged.passRetained(self)
        let rc = pthread_create(&thread, nil, { raw in
            let writer = Unmanaged<LogWriter>.fromOpaque(raw!).takeRetainedValue()
            writer.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            FileSystem.close(outcome.activeDescriptor)
            throw .io(call: "pthread_create", path: directory.path, errno: rc)
        }
    }

    // MARK: Any thread

    func append(
        _ payload: [UInt8], endsSegment: Bool,
        completion: @escaping @Sendable (Result<UInt64, StorageError>) -> Void
    ) {
        guard payload.count <= LogRecordCodec.maxPayloadSize else {
            completion(.failure(.recordTooLarge(size: payload.count, limit: LogRecordCodec.maxPayloadSize)))
            return
        }
        lock.lock()
        if closing {
            lock.unlock()
            completion(.failure(.closed))
            return
        }
        // Sequences are given in queue order, so the writer writes them in order.
        queue.append(Pending(sequence: nextSequence, payload: payload, endsSegment: endsSegment, completion: completion))
        nextSequence += 1
        // The writer sleeps only on an empty queue, so only the first append after it needs to
        // wake it; the rest of a burst costs no futex call.
        let wake = queue.count == 1
        lock.unlock()
        if wake { lock.signal() }
    }

    var state: (next: UInt64, durable: UInt64, failure: StorageError?, segments: [SegmentFile]) {
        lock.withLock { (nextSequence, durableSequence, failure, segments) }
    }

    /// Clears a full-disk failure (see `WriteAheadLog.resume`). Returns whether appends are
    /// accepted now.
    func resume() -> Bool {
        lock.withLock {
            guard failure != nil else { return true }
            guard suspended, queue.isEmpty, !closing else { return false }
            failure = nil
            suspended = false
            // The failed appends took sequences that never reached the file.
            nextSequence = durableSequence + 1
            return true
        }
    }

    /// Stops taking appends, writes what is queued, and ends the thread. Called from a
    /// completion (on the thread itself) it cannot wait: the thread is detached and finishes
    /// the queue on its own.
    func close() {
        lock.withLock { closing = true }
        lock.broadcast()
        let onWriterThread = pthread_equal(pthread_self(), thread) != 0
        threadDisposed.withLock { disposed in
            guard !disposed else { return }
            disposed = true
            if onWriterThread {
                pthread_detach(thread)
            } else {
                pthread_join(thread, nil)
            }
        }
    }

    /// Deletes the oldest segments whose records all have sequences <= `sequence`. The active
    /// segment is never deleted.
    func removeSegments(coveredBy sequence: UInt64) throws(StorageError) -> Int {
        try removal.withLock { (_) throws(StorageError) -> Int in
            let doomed: [SegmentFile] = lock.withLock {
                var doomed: [SegmentFile] = []
                // A segment's last record is the one before the next segment's first.
                for (segment, next) in zip(segments, segments.dropFirst()) {
                    guard next.firstSequence - 1 <= sequence else { break }
                    doomed.append(segment)
                }
                return doomed
            }
            // Oldest first, so that a crash in the middle leaves a log with a missing prefix
            // (which recovery accepts) and never one with a hole.
            var removed = 0
            defer {
                if removed > 0 { lock.withLock { segments.removeFirst(removed) } }
            }
            for segment in doomed {
                try FileSystem.unlink(directory.file(segment.name))
                removed += 1
            }
            if removed > 0 { try directory.sync() }
            return removed
        }
    }

    // MARK: Writer thread

    private func run() {
        zk_set_thread_name("zkgate-wal")
        var batch: [Pending] = []
        while true {
            lock.lock()
            while queue.isEmpty && !closing { lock.wait() }
            if queue.isEmpty {
                lock.unlock()
                break
            }
            // Swap, so both arrays keep their capacity: no allocation per batch.
            swap(&batch, &queue)
            let failed = failure
            lock.unlock()

            commit(batch, failed: failed)
            batch.removeAll(keepingCapacity: true)
        }
        FileSystem.close(activeDescriptor)
    }

    private func commit(_ batch: [Pending], failed: StorageError?) {
        if let failed {
            for pending in batch { pending.completion(.failure(failed)) }
            return
        }
        // A record that ends its segment splits the batch: the part up to it is written and
        // synced, the segment rotated, and the rest goes to the new segment.
        var start = 0
        while start < batch.count {
            var end = start
            while end < batch.count - 1 && !batch[end].endsSegment { end += 1 }
            let chunk = batch[start...end]
            do {
                try persist(chunk)
            } catch {
                // The file's state is unknown now (a partial write; after a failed fdatasync the
                // kernel may even have dropped the dirty pages), so no later write may be
                // acknowledged: every append from here on fails with this error. A full disk
                // is the exception when the failed part can be cut off again (see `persist`):
                // the log is then suspended until `resume`. Otherwise restarting runs recovery,
                // which cuts off whatever partial batch is on disk.
                lock.withLock {
                    if failure == nil {
                        failure = error.failure
                        suspended = error.restored
                    }
                }
                for pending in batch[start...] { pending.completion(.failure(error.failure)) }
                return
            }
            lock.withLock { durableSequence = batch[end].sequence }
            if batch[end].endsSegment {
                rotationDue = true
                rotateIfDue(firstSequence: batch[end].sequence + 1)
            }
            for pending in chunk { pending.completion(.success(pending.sequence)) }
            start = end + 1
        }
    }

    /// A failed write: the error, and whether the file was put back as it was before it.
    struct PersistFailure: Error {
        var failure: StorageError
        var restored: Bool
    }

    private func persist(_ batch: ArraySlice<Pending>) throws(PersistFailure) {
        // Rotate between writes only: the old segment's last records are fsynced by then, so only
        // the last segment can ever have a torn tail. The size is a soft limit (one batch over).
        if activeSize >= segmentSize && activeSize > LogRecordCodec.segmentHeaderSize { rotationDue = true }
        rotateIfDue(firstSequence: batch[batch.startIndex].sequence)
        buffer.removeAll(keepingCapacity: true)
        let goodSize = activeSize
        do throws(StorageError) {
            for pending in batch {
                try LogRecordCodec.appendRecord(sequence: pending.sequence, payload: pending.payload, to: &buffer)
            }
            let calls = try FileSystem.writeAll(activeDescriptor, buffer, path: activePath)
            activeSize += buffer.count
            try FileSystem.fdatasync(activeDescriptor, path: activePath)
            counters.writeCalls.add(UInt64(calls), ordering: .relaxed)
        } catch {
            throw PersistFailure(failure: error, restored: error.isOutOfSpace && cutBack(to: goodSize))
        }

        counters.batches.add(1, ordering: .relaxed)
        counters.records.add(UInt64(batch.count), ordering: .relaxed)
        counters.syncs.add(1, ordering: .relaxed)
        counters.bytesWritten.add(UInt64(buffer.count), ordering: .relaxed)
        // Do not keep a burst's worth of memory for good.
        if buffer.capacity > 8 << 20 { buffer = [] }
    }

    /// After a write or sync that failed for lack of space: cuts the active segment back to
    /// `size`, the end of its last synced record, and syncs that. Every record before is
    /// durable (it was synced before), none after it was acknowledged, so the log is whole again
    /// and may go on once space is free. False when even that fails.
    private func cutBack(to size: Int) -> Bool {
        do throws(StorageError) {
            try FileSystem.truncate(activeDescriptor, to: size, path: activePath)
            try FileSystem.fsync(activeDescriptor, path: activePath)
            activeSize = size
            return true
        } catch {
            return false
        }
    }

    /// Starts a new segment at `firstSequence` when one is due. A failure (a full disk) keeps
    /// the current segment for the next records, which is always correct: only removal by
    /// `removeSegments` gets coarser. It is tried again before the next write.
    private func rotateIfDue(firstSequence: UInt64) {
        guard rotationDue, activeSize > LogRecordCodec.segmentHeaderSize else {
            rotationDue = false
            return
        }
        do throws(StorageError) {
            try rotate(firstSequence: firstSequence)
            rotationDue = false
        } catch {
            counters.failedRotations.add(1, ordering: .relaxed)
        }
    }

    private func rotate(firstSequence: UInt64) throws(StorageError) {
        let descriptor = try SegmentFile.create(firstSequence: firstSequence, in: directory)
        FileSystem.close(activeDescriptor)
        let segment = SegmentFile(firstSequence: firstSequence)
        activeDescriptor = descriptor
        activePath = directory.file(segment.name)
        activeSize = LogRecordCodec.segmentHeaderSize
        lock.withLock { segments.append(segment) }
        counters.rotations.add(1, ordering: .relaxed)
    }
}
