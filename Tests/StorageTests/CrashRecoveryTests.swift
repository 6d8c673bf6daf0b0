import Foundation
import Storage
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("WriteAheadLog crash recovery")
struct CrashRecoveryTests {
    /// A probe appends continuously and prints each sequence as its completion arrives; it is
    /// killed with SIGKILL at a random (seeded) moment. Reopening must return every
    /// acknowledged record with its payload, and a report that matches the files. Ten rounds on
    /// one folder, with small segments, so later rounds recover logs earlier rounds crashed
    /// (and rotation happens under the kill).
    @Test(.timeLimit(.minutes(3)))
    func killedAppenderLosesNoAcknowledgedRecord() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        var rng = SeededGenerator(seed: 0xC0FFEE)
        let segmentSize = 64 << 10
        var recoveredSoFar: UInt64 = 0
        var truncations = 0
        var interruptedRotations = 0

        for round in 0..<10 {
            let probe = try ProbeProcess(["append", tmp.path, "0", String(segmentSize)])
            // Kill it while it is appending: after its first acknowledgement, plus a random delay.
            let started = probe.waitForStdout(timeout: 30) { !$0.isEmpty }
            #expect(started, "round \(round): probe never acknowledged: \(probe.stderrText)")
            sleepSeconds(Double.random(in: 0..<0.3, using: &rng))
            probe.signal(SIGKILL)
            let status = probe.waitForExit(timeout: 30)
            #expect(ProbeProcess.terminatingSignal(status) == SIGKILL, "round \(round): \(String(describing: status))")

            let acknowledged = probe.stdoutLines.compactMap { UInt64($0) }
            #expect(acknowledged.count == probe.stdoutLines.count, "round \(round): stray output")
            // Acknowledged in order, continuing the log the previous round left.
            #expect(acknowledged.first == recoveredSoFar + 1, "round \(round)")
            #expect(zip(acknowledged, acknowledged.dropFirst()).allSatisfy { $1 == $0 + 1 }, "round \(round)")

            let names = segmentNames(tmp.path)
            let sizesBefore = Dictionary(uniqueKeysWithValues: names.map { (tmp.file($0), fileSize(tmp.file($0))) })
            let directory = try DataDirectory(path: tmp.path)
            let (log, records, report) = try WriteAheadLog.open(
                directory: directory, configuration: .init(segmentSize: segmentSize))

            // Every record present is intact and in place; every acknowledged one is present.
            #expect(records.map(\.sequence) == Array(1...UInt64(records.count)), "round \(round)")
            let wrongPayloads = records.filter { $0.payload != probePayload($0.sequence) }.map(\.sequence)
            #expect(wrongPayloads.isEmpty, "round \(round): wrong payloads at \(wrongPayloads.prefix(10))")
            if let last = acknowledged.last {
                #expect(UInt64(records.count) >= last, "round \(round): acknowledged \(last), recovered \(records.count)")
            }

            // The report describes what is on disk.
            #expect(report.recordCount == records.count)
            #expect(report.firstSequence == records.first?.sequence)
            #expect(report.lastSequence == records.last?.sequence)
            #expect(report.nextSequence == UInt64(records.count) + 1)
            #expect(report.segmentCount == names.count)
            // A kill during rotation leaves the next segment half-made under its .tmp name; it
            // is deleted, and it was for the record after the last one recovered.
            for removed in report.removedFiles {
                interruptedRotations += 1
                #expect(removed == tmp.file(String(format: "wal-%020llu.log.tmp", report.nextSequence)), "round \(round): \(report)")
                #expect(fileSize(removed) == -1)
            }
            if let cut = report.truncation {
                truncations += 1
                #expect(cut.segment == tmp.file(names.last!), "round \(round): \(report)")
                #expect(cut.offset + cut.droppedBytes == sizesBefore[cut.segment], "round \(round): \(report)")
                #expect(fileSize(cut.segment) == cut.offset)
            }
            for (path, size) in sizesBefore where path != report.truncation?.segment {
                #expect(fileSize(path) == size, "round \(round): \(path) changed without a report")
            }
            // The segments hold exactly the recovered records.
            let total = names.reduce(0) { $0 + fileSize(tmp.file($1)) }
            let expectedTotal = names.count * LogRecordCodec.segmentHeaderSize
                + records.reduce(0) { $0 + LogRecordCodec.recordHeaderSize + $1.payload.count }
            #expect(total == expectedTotal, "round \(round)")

            recoveredSoFar = UInt64(records.count)
            log.close()
            directory.close()
        }
        #expect(segmentNames(tmp.path).count > 1, "the rounds should have rotated segments")
        // Torn tails are possible but not guaranteed under SIGKILL (the page cache survives it).
        print("crash test: \(recoveredSoFar) records over 10 rounds, \(truncations) torn tails repaired, "
            + "\(interruptedRotations) interrupted rotations cleaned up")
    }
}
