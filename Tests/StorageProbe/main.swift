// A helper process for StorageTests: things that need a second process (the directory lock)
// or a process that can be killed mid-write (crash recovery), plus a group-commit benchmark.
//
//   StorageProbe append DIR COUNT [SEGMENT_BYTES]  append COUNT records (0: until killed),
//       payload derived from the sequence; prints each acknowledged sequence on its own line
//   StorageProbe lock DIR                           hold DIR's lock until killed
//   StorageProbe fail DIR FILE_SIZE_LIMIT           append under RLIMIT_FSIZE until writes fail,
//       then a few more; prints "ok SEQ" or "failed SEQ ERROR" per append
//   StorageProbe cycle DIR EVERY                    append until killed; every EVERY records one
//       ends its segment and, once durable, is snapshotted (the snapshot holds its sequence)
//       and the segments it covers are removed, as the embedded store does (no new point while
//       a snapshot is being written); prints each acknowledged sequence, and "snapshot SEQ"
//       once a snapshot and the removal after it are done
//   StorageProbe bench DIR SECONDS APPENDERS [PAYLOAD_BYTES]
//       APPENDERS threads each appending and waiting for the completion; prints throughput
//
// Output goes straight to write(2) (no stdio buffering), so a line is out the moment the
// completion runs, and a SIGKILL cannot lose an acknowledged sequence in a buffer.

import Dispatch
import Storage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The payload of the record with `sequence`; StorageTests recomputes it to check what
/// recovery returns (keep the two copies identical). Lengths vary (0...199) to exercise the
/// framing.
func probePayload(_ sequence: UInt64) -> [UInt8] {
    let length = Int((sequence &* 2_654_435_761) % 200)
    return (0..<length).map { UInt8(truncatingIfNeeded: sequence &+ UInt64($0) &* 7) }
}

func say(_ line: String, fd: Int32 = 1) {
    let bytes = Array((line + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        done += n
    }
}

func fail(_ message: String, status: Int32) -> Never {
    say(message, fd: 2)
    exit(status)
}

func openLog(_ dir: String, segmentSize: Int = 64 << 20) -> (DataDirectory, WriteAheadLog) {
    do {
        let directory = try DataDirectory(path: dir)
        let (log, _, report) = try WriteAheadLog.open(
            directory: directory, configuration: .init(segmentSize: segmentSize))
        say("recovery: \(report)", fd: 2)
        return (directory, log)
    } catch {
        fail("open: \(error)", status: 3)
    }
}

func appendCommand(_ dir: String, count: Int, segmentSize: Int) {
    let (directory, log) = openLog(dir, segmentSize: segmentSize)
    let base = log.nextSequence
    let window = DispatchSemaphore(value: 256)  // bounds memory when the disk is slow
    let finished = DispatchSemaphore(value: 0)
    var index = 0
    while count == 0 || index < count {
        let sequence = base + UInt64(index)
        window.wait()
        let last = count != 0 && index == count - 1
        log.append(probePayload(sequence)) { result in
            switch result {
            case .success(let acknowledged):
                // Only this thread appends, so sequences follow the order of appends.
                guard acknowledged == sequence else {
                    fail("acknowledged \(acknowledged) for the append expecting \(sequence)", status: 2)
                }
                say("\(acknowledged)")
            case .failure(let error):
                fail("append \(sequence) failed: \(error)", status: 1)
            }
            window.signal()
            if last { finished.signal() }
        }
        index += 1
    }
    finished.wait()
    log.close()
    directory.close()
    say("done", fd: 2)
}

/// The snapshot content for `sequence`: the sequence and a checksum of every payload up to it,
/// so a test can tell that it describes exactly the records 1...sequence.
func cycleSnapshot(_ sequence: UInt64) -> [UInt8] {
    var crc = CRC32C()
    if sequence > 0 { for s in 1...sequence { crc.update(probePayload(s)) } }
    return Array("\(sequence) \(crc.value)".utf8)
}

func cycleCommand(_ dir: String, every: Int) {
    let (directory, log) = openLog(dir, segmentSize: 64 << 20)
    let snapshots = SnapshotStore(directory: directory, keep: 1)
    let maintenance = DispatchQueue(label: "probe.snapshots")
    let snapshotting = Atomic(false)
    let base = log.nextSequence
    let window = DispatchSemaphore(value: 256)
    var index = 0
    while true {
        let sequence = base + UInt64(index)
        window.wait()
        // As the embedded store does: no new point while a snapshot is being written.
        let point = sequence % UInt64(every) == 0 && snapshotting.compareExchange(
            expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        log.append(probePayload(sequence), endsSegment: point) { result in
            switch result {
            case .success(let acknowledged):
                guard acknowledged == sequence else {
                    fail("acknowledged \(acknowledged) for the append expecting \(sequence)", status: 2)
                }
                say("\(acknowledged)")
                if point {
                    maintenance.async {
                        do {
                            try snapshots.write(sequence: sequence, bytes: cycleSnapshot(sequence))
                            try log.removeSegments(coveredBy: sequence)
                            say("snapshot \(sequence)")
                        } catch {
                            fail("snapshot \(sequence): \(error)", status: 1)
                        }
                        snapshotting.store(false, ordering: .releasing)
                    }
                }
            case .failure(let error):
                fail("append \(sequence) failed: \(error)", status: 1)
            }
            window.signal()
        }
        index += 1
    }
}

func lockCommand(_ dir: String) -> Never {
    do {
        let directory = try DataDirectory(path: dir)
        say("locked \(getpid())")
        // The lock lives as long as `directory`: keep it past the (endless) wait.
        withExtendedLifetime(directory) { () -> Void in
            while true { pause() }
        }
        fatalError("unreachable")
    } catch {
        fail("\(error)", status: 3)
    }
}

func failCommand(_ dir: String, limit: Int) {
    // Without this, exceeding RLIMIT_FSIZE kills the process with SIGXFSZ instead of making
    // write(2) fail with EFBIG.
    signal(SIGXFSZ, SIG_IGN)
    var rl = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
    guard setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &rl) == 0 else { fail("setrlimit: \(errno)", status: 3) }
    let (directory, log) = openLog(dir)
    var failures = 0
    while failures < 5 {
        let sequence = log.nextSequence
        let outcome = Mutex<Result<UInt64, StorageError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        log.append(probePayload(sequence)) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        switch outcome.withLock({ $0 })! {
        case .success(let s): say("ok \(s)")
        case .failure(let error):
            say("failed \(sequence) \(error)")
            failures += 1
        }
    }
    say("failure \(log.failure.map { "\($0)" } ?? "none")")
    log.close()
    directory.close()
}

func benchCommand(_ dir: String, seconds: Double, appenders: Int, payloadSize: Int) {
    let (directory, log) = openLog(dir)
    let payload = [UInt8](repeating: 0xAB, count: payloadSize)
    let before = log.statistics
    let start = monotonic()
    let deadline = start + seconds
    let group = DispatchGroup()
    for _ in 0..<appenders {
        group.enter()
        Thread.spawn {
            let done = DispatchSemaphore(value: 0)
            while monotonic() < deadline {
                log.append(payload) { result in
                    if case .failure(let error) = result { fail("append: \(error)", status: 1) }
                    done.signal()
                }
                done.wait()
            }
            group.leave()
        }
    }
    group.wait()
    let elapsed = monotonic() - start
    let after = log.statistics
    let records = after.records - before.records
    let syncs = after.syncs - before.syncs
    let rate = Double(records) / elapsed
    say("appenders=\(appenders) payload=\(payloadSize) seconds=\(String(format1: elapsed)) records=\(records) "
        + "appends_per_s=\(Int(rate)) syncs=\(syncs) records_per_sync=\(String(format1: Double(records) / Double(max(syncs, 1)))) "
        + "batches=\(after.batches - before.batches) write_calls=\(after.writeCalls - before.writeCalls)")
    log.close()
    directory.close()
}

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

extension String {
    init(format1 value: Double) { self = String(Double(Int(value * 100)) / 100) }
}

/// A detached POSIX thread (the benchmark's appenders block, so they need real threads).
enum Thread {
    static func spawn(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var handle = pthread_t()
        let box = Unmanaged.passRetained(Box(body))
        let rc = pthread_create(&handle, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        guard rc == 0 else { fail("pthread_create: \(rc)", status: 3) }
        pthread_detach(handle)
    }
}

func main() {
    let args = CommandLine.arguments
    func argument(_ i: Int) -> String {
        guard args.count > i else { fail("usage: see Tests/StorageProbe/main.swift", status: 64) }
        return args[i]
    }
    switch argument(1) {
    case "append":
        appendCommand(argument(2), count: Int(argument(3)) ?? 0, segmentSize: args.count > 4 ? Int(args[4])! : 64 << 20)
    case "lock":
        lockCommand(argument(2))
    case "cycle":
        cycleCommand(argument(2), every: Int(argument(3))!)
    case "fail":
        failCommand(argument(2), limit: Int(argument(3))!)
    case "bench":
        benchCommand(
            argument(2), seconds: Double(argument(3))!, appenders: Int(argument(4))!,
            payloadSize: args.count > 5 ? Int(args[5])! : 100)
    default:
        fail("unknown command \(args[1])", status: 64)
    }
}

main()
