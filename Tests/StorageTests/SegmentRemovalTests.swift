import Foundation
import Storage
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Snapshots that end a log segment, the removal of what they cover, and the crash points
/// around that removal.
@Suite("Snapshots and segment removal")
struct SegmentRemovalTests {
    static func appendAll(_ log: WriteAheadLog, _ sequences: ClosedRange<UInt64>, pointsAt points: Set<UInt64> = []) {
        for sequence in sequences {
            let done = DispatchSemaphore(value: 0)
            log.append(probePayload(sequence), endsSegment: points.contains(sequence)) { result in
                #expect(result == .success(sequence))
                done.signal()
            }
            done.wait()
        }
    }

    static func open(_ tmp: TemporaryDirectory) throws -> (DataDirectory, WriteAheadLog, [LogRecord]) {
        let directory = try DataDirectory(path: tmp.path)
        let (log, records, _) = try WriteAheadLog.open(directory: directory)
        return (directory, log, records)
    }

    /// A record that ends its segment starts the next one at once, so removing what a snapshot
    /// at that record covers leaves only the records after it.
    @Test func aRecordEndingItsSegmentLetsTheSnapshotCoverWholeSegments() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let (directory, log, _) = try Self.open(tmp)
        Self.appendAll(log, 1...5, pointsAt: [5])
        #expect(segmentNames(tmp.path) == ["wal-00000000000000000001.log", "wal-00000000000000000006.log"])
        Self.appendAll(log, 6...9)
        #expect(try log.removeSegments(coveredBy: 5) == 1)
        #expect(segmentNames(tmp.path) == ["wal-00000000000000000006.log"])
        // A point at the very end of what is written: the next segment exists before any record.
        Self.appendAll(log, 10...10, pointsAt: [10])
        #expect(try log.removeSegments(coveredBy: 10) == 1)
        #expect(segmentNames(tmp.path) == ["wal-00000000000000000011.log"])
        #expect(log.statistics.rotations == 2)
        log.close()
        directory.close()

        let (directory2, log2, records) = try Self.open(tmp)
        #expect(records.isEmpty)
        #expect(log2.nextSequence == 11)
        Self.appendAll(log2, 11...12)
        log2.close()
        directory2.close()
    }

    /// Several points in one group-committed batch: each ends a segment of its own.
    @Test func pointsInsideOneBatchSplitIt() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let (directory, log, _) = try Self.open(tmp)
        let group = DispatchGroup()
        for sequence in UInt64(1)...30 {
            group.enter()
            log.append(probePayload(sequence), endsSegment: sequence % 10 == 0) { result in
                #expect(result == .success(sequence))
                group.leave()
            }
        }
        group.wait()
        #expect(segmentNames(tmp.path) == [1, 11, 21, 31].map { String(format: "wal-%020llu.log", $0) })
        #expect(try log.removeSegments(coveredBy: 20) == 2)
        log.close()
        directory.close()
        let (directory2, log2, records) = try Self.open(tmp)
        #expect(records.map(\.sequence) == Array(21...30))
        #expect(records.allSatisfy { $0.payload == probePayload($0.sequence) })
        log2.close()
        directory2.close()
    }

    /// What stays on disk when a writer snapshots as the embedded store does: with a live
    /// state of 8 KiB rewritten 2,000 times (16 MB of log), the policy's 1 MiB minimum makes a
    /// snapshot about every 128 records, and afterwards one snapshot and one or two segments
    /// remain, within a small multiple of the minimum, however much was written.
    @Test func byteTriggeredSnapshotsKeepTheFolderBounded() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let policy = SnapshotPolicy(records: 20_000, maximumBytes: 8 << 20, minimumBytes: 1 << 20)
        let live = [UInt8](repeating: 7, count: 8 << 10)
        let (directory, log, _) = try Self.open(tmp)
        let snapshots = SnapshotStore(directory: directory, keep: 1)
        var records = 0
        var bytes = 0
        var snapshotsWritten = 0
        for sequence in UInt64(1)...2_000 {
            records += 1
            bytes += LogRecordCodec.recordHeaderSize + live.count
            let point = policy.isDue(records: records, bytes: bytes, liveBytes: live.count)
            let done = DispatchSemaphore(value: 0)
            log.append(live, endsSegment: point) { _ in done.signal() }
            done.wait()
            if point {
                try snapshots.write(sequence: sequence, bytes: live)
                try log.removeSegments(coveredBy: sequence)
                snapshotsWritten += 1
                records = 0
                bytes = 0
            }
        }
        #expect(policy.threshold(liveBytes: live.count) == 1 << 20)
        #expect(snapshotsWritten == 2_000 / ((1 << 20) / (8 << 10 + 16) + 1))
        let names = tmp.entries()
        #expect(names.filter { $0.hasSuffix(".snap") }.count == 1, "\(names)")
        #expect(segmentNames(tmp.path).count == 1, "\(names)")
        let total = names.reduce(0) { $0 + max(0, fileSize(tmp.file($1))) }
        #expect(total < 2 << 20, "\(total) bytes on disk after 16 MB of log: \(names)")
        log.close()
        directory.close()
    }

    @Test func thresholdsFollowTheLiveData() {
        let policy = SnapshotPolicy()
        #expect(policy.threshold(liveBytes: 8_000) == 4 << 20)  // the minimum
        #expect(policy.threshold(liveBytes: 10 << 20) == 20 << 20)  // twice the live data
        #expect(policy.threshold(liveBytes: 50 << 20) == 64 << 20)  // the maximum
        #expect(policy.threshold(liveBytes: 300 << 20) == 300 << 20)  // never below the live data
        #expect(policy.isDue(records: 20_000, bytes: 0, liveBytes: 0))
        #expect(!policy.isDue(records: 19_999, bytes: (4 << 20) - 1, liveBytes: 0))
    }

    /// The states a crash can leave between "the snapshot is durable" and "everything it covers
    /// is gone", made by hand: recovery finds the snapshot and the whole log after it in each.
    @Test func everyCrashPointAroundRemovalLeavesASnapshotAndTheLogAfterIt() throws {
        // The folder just before removal: an older snapshot at 5, the new one at 10, segments
        // 1-5, 6-10, 11-15, and a segment being created when the crash came.
        func prepare(_ tmp: TemporaryDirectory) throws {
            let (directory, log, _) = try Self.open(tmp)
            Self.appendAll(log, 1...15, pointsAt: [5, 10, 15])
            let snapshots = SnapshotStore(directory: directory, keep: 2)
            try snapshots.write(sequence: 5, bytes: Array("5".utf8))
            try snapshots.write(sequence: 10, bytes: Array("10".utf8))
            log.close()
            directory.close()
        }
        struct Recovered: Equatable {
            var snapshot: UInt64
            var records: [UInt64]
            init(_ snapshot: UInt64, _ records: [UInt64]) {
                self.snapshot = snapshot
                self.records = records
            }
        }
        func recover(_ tmp: TemporaryDirectory, _ label: String) throws -> Recovered {
            let directory = try DataDirectory(path: tmp.path)
            defer { directory.close() }
            let latest = try SnapshotStore(directory: directory, keep: 1).loadLatest()
            let loaded = try #require(latest, "\(label)")
            let (log, records, _) = try WriteAheadLog.open(directory: directory)
            defer { log.close() }
            #expect(records.allSatisfy { $0.payload == probePayload($0.sequence) }, "\(label)")
            let first = records.first?.sequence ?? log.nextSequence
            #expect(first <= loaded.sequence + 1, "\(label): the log resumes at \(first) after snapshot \(loaded.sequence)")
            #expect(log.nextSequence == 16, "\(label)")
            return Recovered(loaded.sequence, records.map(\.sequence))
        }
        let segment = { (first: UInt64) in String(format: "wal-%020llu.log", first) }
        let snapshot = { (sequence: UInt64) in String(format: "snapshot-%020llu.snap", sequence) }

        // 1. Killed after the new snapshot became durable, before anything was deleted.
        var tmp = try TemporaryDirectory()
        try prepare(tmp)
        #expect(try recover(tmp, "nothing deleted") == Recovered(10, Array(1...15)))
        tmp.remove()

        // 2. Killed after the older snapshot was pruned, before any segment went.
        tmp = try TemporaryDirectory()
        try prepare(tmp)
        try removeFile(tmp.file(snapshot(5)))
        #expect(try recover(tmp, "old snapshot pruned") == Recovered(10, Array(1...15)))
        tmp.remove()

        // 3. Killed between two unlinks (oldest first): a missing prefix of the covered segments.
        tmp = try TemporaryDirectory()
        try prepare(tmp)
        try removeFile(tmp.file(snapshot(5)))
        try removeFile(tmp.file(segment(1)))
        #expect(try recover(tmp, "one of two covered segments removed") == Recovered(10, Array(6...15)))
        tmp.remove()

        // 4. Killed after every covered segment went, before the directory sync returned.
        tmp = try TemporaryDirectory()
        try prepare(tmp)
        try removeFile(tmp.file(snapshot(5)))
        try removeFile(tmp.file(segment(1)))
        try removeFile(tmp.file(segment(6)))
        #expect(try recover(tmp, "all covered segments removed") == Recovered(10, Array(11...15)))
        tmp.remove()

        // 5. Killed while the next snapshot was being written: its temporary file is ignored
        //    and removed by the next write.
        tmp = try TemporaryDirectory()
        try prepare(tmp)
        try writeFile(tmp.file(snapshot(15) + ".tmp"), Array("partial".utf8))
        #expect(try recover(tmp, "snapshot being written") == Recovered(10, Array(1...15)))
        let directory = try DataDirectory(path: tmp.path)
        try SnapshotStore(directory: directory, keep: 1).write(sequence: 15, bytes: Array("15".utf8))
        directory.close()
        #expect(tmp.entries().filter { $0.hasPrefix("snapshot-") } == [snapshot(15)])
        tmp.remove()
    }

    /// A probe appends, snapshots and removes segments as the embedded store does, and is
    /// killed with SIGKILL at random moments: each restart finds an intact snapshot whose
    /// records all precede the log, every acknowledged record, and a bounded set of files.
    @Test(.timeLimit(.minutes(3)))
    func killedWhileSnapshottingAndRemovingLosesNothing() async throws {
        // Five rounds of a killed child process take seconds of waiting: on a thread of its
        // own, not the cooperative pool's.
        let failures = try await offThePool { () throws -> [String] in
            var failures: [String] = []
            func check(_ condition: Bool, _ message: @autoclosure () -> String) {
                if !condition { failures.append(message()) }
            }
            let tmp = try TemporaryDirectory()
            defer { tmp.remove() }
            var rng = SeededGenerator(seed: 0x5EED)
            var snapshotsSeen = Set<UInt64>()
            for round in 0..<5 {
                let probe = try ProbeProcess(["cycle", tmp.path, "300"])
                // Killed at a random moment after its first snapshot (which removes what earlier
                // rounds left), so later ones are cut short at any step.
                let started = probe.waitForStdout(timeout: 30) { $0.contains { $0.hasPrefix("snapshot ") } }
                check(started, "round \(round): \(probe.stderrText)")
                sleepSeconds(Double.random(in: 0..<0.4, using: &rng))
                probe.signal(SIGKILL)
                let status = probe.waitForExit(timeout: 30)
                check(ProbeProcess.terminatingSignal(status) == SIGKILL, "round \(round): \(probe.stderrText)")
                let acknowledged = probe.stdoutLines.compactMap { UInt64($0) }

                let directory = try DataDirectory(path: tmp.path)
                let loaded = try SnapshotStore(directory: directory, keep: 1).loadLatest()
                let (log, records, _) = try WriteAheadLog.open(directory: directory)
                let snapshotSequence = loaded?.sequence ?? 0
                if let loaded {
                    snapshotsSeen.insert(loaded.sequence)
                    check(loaded.bytes == Self.cycleSnapshot(loaded.sequence), "round \(round)")
                }
                let first = records.first?.sequence ?? log.nextSequence
                check(first <= snapshotSequence + 1, "round \(round): log resumes at \(first) after \(snapshotSequence)")
                check(records.allSatisfy { $0.payload == probePayload($0.sequence) }, "round \(round)")
                check(zip(records, records.dropFirst()).allSatisfy { $1.sequence == $0.sequence + 1 }, "round \(round)")
                let recoveredUpTo = max(snapshotSequence, records.last?.sequence ?? 0)
                if let last = acknowledged.last {
                    check(recoveredUpTo >= last, "round \(round): acknowledged \(last), recovered up to \(recoveredUpTo)")
                }
                // One snapshot, and the segments since it: the one it ends, one more once the next
                // point was reached, and one more if that point's removal was cut short.
                check(tmp.entries().filter { $0.hasSuffix(".snap") }.count <= 1, "round \(round): \(tmp.entries())")
                check(segmentNames(tmp.path).count <= 3, "round \(round): \(tmp.entries())")
                log.close()
                directory.close()
            }
            check(snapshotsSeen.count >= 2, "the rounds should have snapshotted: \(snapshotsSeen)")
            return failures
        }
        #expect(failures == [])
    }

    /// A copy of the probe's `cycleSnapshot`.
    static func cycleSnapshot(_ sequence: UInt64) -> [UInt8] {
        var crc = CRC32C()
        if sequence > 0 { for s in 1...sequence { crc.update(probePayload(s)) } }
        return Array("\(sequence) \(crc.value)".utf8)
    }
}
