import Dispatch
import Storage
import Synchronization
import Testing
import TestSupport

/// The payload of appender `thread`'s `index`th record: recovery can tell whose it is.
private func payload(thread: Int, index: Int) -> [UInt8] {
    Array("t\(thread)-i\(index)".utf8) + [UInt8](repeating: UInt8(thread), count: index % 50)
}

@Suite("WriteAheadLog group commit")
struct GroupCommitTests {
    /// Eight threads each append 1,000 records and wait for each completion, like request
    /// handlers waiting for durability: every completion arrives, sequences are unique and
    /// increase per thread, the file holds every record, and fewer fdatasyncs than records were
    /// needed because concurrent appends shared batches.
    @Test(.timeLimit(.minutes(2)))
    func eightThreadsShareBatches() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        let (log, recovered, _) = try WriteAheadLog.open(directory: directory)
        #expect(recovered.isEmpty)
        // The order completions ran in, across all threads.
        let completionOrder = Mutex<[UInt64]>([])

        let results = runOnThreads(count: 8, timeout: 100) { thread in
            var sequences: [UInt64] = []
            for index in 0..<1000 {
                let outcome = Mutex<Result<UInt64, StorageError>?>(nil)
                let done = DispatchSemaphore(value: 0)
                log.append(payload(thread: thread, index: index)) { result in
                    if case .success(let s) = result { completionOrder.withLock { $0.append(s) } }
                    outcome.withLock { $0 = result }
                    done.signal()
                }
                done.wait()
                sequences.append(try outcome.withLock { $0! }.get())
            }
            return sequences
        }

        var owner: [UInt64: (thread: Int, index: Int)] = [:]
        for (thread, result) in results.enumerated() {
            let sequences = try result.get()
            #expect(sequences.count == 1000)
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 }, "thread \(thread) not increasing")
            for (index, sequence) in sequences.enumerated() {
                #expect(owner[sequence] == nil, "sequence \(sequence) given twice")
                owner[sequence] = (thread, index)
            }
        }
        #expect(owner.count == 8000)
        #expect(Set(owner.keys) == Set(1...8000))
        #expect(completionOrder.withLock { $0 } == Array(1...8000), "completions must run in sequence order")

        let stats = log.statistics
        #expect(stats.records == 8000)
        #expect(stats.syncs == stats.batches)
        #expect(stats.batches < stats.records, "no batch held two records: \(stats)")
        #expect(stats.writeCalls == stats.batches)
        #expect(log.durableSequence == 8000)
        log.close()
        directory.close()

        let reopened = try DataDirectory(path: tmp.path)
        let (again, records, report) = try WriteAheadLog.open(directory: reopened)
        #expect(report.isClean)
        #expect(records.count == 8000)
        for record in records {
            guard let (thread, index) = owner[record.sequence] else {
                Issue.record("unexpected sequence \(record.sequence)")
                continue
            }
            #expect(record.payload == payload(thread: thread, index: index), "sequence \(record.sequence)")
        }
        again.close()
        reopened.close()
    }

    /// Appends that do not wait pile up while the disk works and go out in few large batches;
    /// completions still come one per append, in order.
    @Test(.timeLimit(.minutes(1)))
    func aBurstIsWrittenInFewBatches() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        let (log, _, _) = try WriteAheadLog.open(directory: directory)
        let acknowledged = Mutex<[UInt64]>([])
        let all = DispatchSemaphore(value: 0)
        for i in 0..<20000 {
            log.append(probePayload(UInt64(i + 1))) { result in
                let count = acknowledged.withLock { list in
                    if case .success(let s) = result { list.append(s) }
                    return list.count
                }
                if count == 20000 { all.signal() }
            }
        }
        #expect(all.wait(timeout: .now() + 50) == .success)
        #expect(acknowledged.withLock { $0 } == Array(1...20000))
        let stats = log.statistics
        #expect(stats.records == 20000)
        // How few depends on the disk (on tmpfs, where fdatasync is free, batches stay small).
        #expect(stats.batches < stats.records, "\(stats)")
        print("burst of 20,000 appends: \(stats.batches) batches")
        log.close()
        #expect(appendAndWait(log, [1]) == .failure(.closed))
        directory.close()
    }

    /// `close` writes and acknowledges what was queued before it.
    @Test func closeDrainsTheQueue() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        let (log, _, _) = try WriteAheadLog.open(directory: directory)
        let acknowledged = Mutex(0)
        for i in 0..<500 {
            log.append(probePayload(UInt64(i))) { result in
                if case .success = result { acknowledged.withLock { $0 += 1 } }
            }
        }
        log.close()
        #expect(acknowledged.withLock { $0 } == 500)
        directory.close()
        let reopened = try DataDirectory(path: tmp.path)
        let (again, records, _) = try WriteAheadLog.open(directory: reopened)
        #expect(records.count == 500)
        again.close()
        reopened.close()
    }

    /// A completion may close the log (e.g. a shutdown decided there) without deadlocking on
    /// its own thread; the record it acknowledged is durable and later appends are refused.
    @Test(.timeLimit(.minutes(1)))
    func closeFromACompletionDoesNotDeadlock() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        let (log, _, _) = try WriteAheadLog.open(directory: directory)
        let done = DispatchSemaphore(value: 0)
        log.append([7]) { _ in
            log.close()
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(appendAndWait(log, [8]) == .failure(.closed))
        log.close()
        directory.close()
        let reopened = try DataDirectory(path: tmp.path)
        let (again, records, _) = try WriteAheadLog.open(directory: reopened)
        #expect(records == [LogRecord(sequence: 1, payload: [7])])
        again.close()
        reopened.close()
    }

    @Test func oversizedPayloadFailsAtOnceWithoutUsingASequence() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        let (log, _, _) = try WriteAheadLog.open(directory: directory)
        let big = [UInt8](repeating: 1, count: LogRecordCodec.maxPayloadSize + 1)
        #expect(appendAndWait(log, big) == .failure(.recordTooLarge(size: big.count, limit: LogRecordCodec.maxPayloadSize)))
        #expect(appendAndWait(log, [1]) == .success(1))
        #expect(log.failure == nil)
        log.close()
        directory.close()
    }
}
