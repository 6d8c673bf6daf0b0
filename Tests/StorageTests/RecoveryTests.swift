import Storage
import Testing
import TestSupport

@Suite("WriteAheadLog recovery")
struct RecoveryTests {
    /// Writes `count` probe records and closes the log; returns the last segment's path.
    @discardableResult
    private func writeLog(_ tmp: TemporaryDirectory, count: Int) throws -> String {
        let directory = try DataDirectory(path: tmp.path)
        let (log, _, _) = try WriteAheadLog.open(directory: directory)
        for i in 1...count { #expect(appendAndWait(log, probePayload(UInt64(i))) == .success(UInt64(i))) }
        let last = log.segmentPaths.last!
        log.close()
        directory.close()
        return last
    }

    @Test func anEmptyFolderStartsAtSequenceOne() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        let (log, records, report) = try WriteAheadLog.open(directory: directory)
        #expect(records.isEmpty)
        #expect(report == RecoveryReport(
            segmentCount: 0, recordCount: 0, firstSequence: nil, lastSequence: nil, nextSequence: 1,
            truncation: nil, removedFiles: []))
        #expect(segmentNames(tmp.path) == ["wal-00000000000000000001.log"])
        #expect(fileSize(tmp.file("wal-00000000000000000001.log")) == LogRecordCodec.segmentHeaderSize)
        log.close()
        directory.close()
    }

    /// The last segment has garbage (random bytes or zeros, as a power cut can leave) after a
    /// valid prefix: the records come back, the garbage is cut off and reported, and the log
    /// continues where the records end.
    @Test(arguments: [(UInt64(1), 1), (2, 15), (3, 16), (4, 200), (5, 70_000), (0, 4096)])
    func garbageAfterAValidPrefixIsCutOff(seed: UInt64, length: Int) throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let segment = try writeLog(tmp, count: 50)
        let validSize = fileSize(segment)
        var rng = SeededGenerator(seed: seed)
        let garbage = seed == 0
            ? [UInt8](repeating: 0, count: length)
            : (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try writeFile(segment, fileBytes(segment) + garbage)

        let directory = try DataDirectory(path: tmp.path)
        let (log, records, report) = try WriteAheadLog.open(directory: directory)
        #expect(records == (1...50).map { LogRecord(sequence: $0, payload: probePayload($0)) })
        #expect(report.truncation?.segment == segment)
        #expect(report.truncation?.offset == validSize)
        #expect(report.truncation?.droppedBytes == length)
        #expect(report.description.contains("dropped a torn tail of \(length) bytes at offset \(validSize)"))
        #expect(fileSize(segment) == validSize, "the torn tail must be truncated on disk")
        #expect(appendAndWait(log, probePayload(51)) == .success(51))
        log.close()
        directory.close()

        let reopened = try DataDirectory(path: tmp.path)
        let (again, all, cleanReport) = try WriteAheadLog.open(directory: reopened)
        #expect(cleanReport.isClean)
        #expect(all.map(\.sequence) == Array(1...51))
        again.close()
        reopened.close()
    }

    /// Damage with intact records after it stops the open and leaves the file as it was.
    @Test func corruptionInTheMiddleIsRefusedAndLeftAlone() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let segment = try writeLog(tmp, count: 20)
        var bytes = fileBytes(segment)
        let decoded = LogRecordCodec.decodeSegment(bytes)
        #expect(decoded.records.count == 20)
        // The payload of record 5 (sequences 1... have lengths from probePayload).
        var offset = LogRecordCodec.segmentHeaderSize
        for s in 1...4 { offset += 16 + probePayload(UInt64(s)).count }
        bytes[offset + 8] ^= 0x40
        try writeFile(segment, bytes)

        let directory = try DataDirectory(path: tmp.path)
        defer { directory.close() }
        let error = #expect(throws: StorageError.self) { try WriteAheadLog.open(directory: directory) }
        guard case .corruptSegment(let path, let at, _, let next)? = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(path == segment)
        #expect(at == offset)
        #expect(next == offset + 16 + probePayload(5).count)
        #expect(fileBytes(segment) == bytes)
    }

    /// A segment whose header never made it whole (a crash, or a filesystem that reordered) is
    /// dropped, and appends continue at the sequence in its name.
    @Test func aTornHeaderInTheLastSegmentIsDropped() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        try writeLog(tmp, count: 3)
        let torn = tmp.file("wal-00000000000000000004.log")
        try writeFile(torn, Array("ZKGWAL0".utf8))
        try writeFile(tmp.file("wal-00000000000000000009.log.tmp"), [1, 2, 3])

        let directory = try DataDirectory(path: tmp.path)
        let (log, records, report) = try WriteAheadLog.open(directory: directory)
        #expect(records.map(\.sequence) == [1, 2, 3])
        #expect(report.nextSequence == 4)
        #expect(report.truncation == .init(segment: torn, offset: 0, droppedBytes: 7, defect: .truncatedSegmentHeader(available: 7)))
        #expect(Set(report.removedFiles) == [torn, tmp.file("wal-00000000000000000009.log.tmp")])
        #expect(fileSize(torn) == LogRecordCodec.segmentHeaderSize, "recreated with a whole header")
        #expect(appendAndWait(log, [4]) == .success(4))
        log.close()
        directory.close()
    }

    /// After a write fails, that append and every later one fail with the same error, and
    /// nothing acknowledged before is lost. The failure comes from RLIMIT_FSIZE in the probe.
    @Test(.timeLimit(.minutes(1)))
    func afterAWriteErrorEveryAppendFails() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let result = try runCommand(try ProbeProcess.binaryPath(), ["fail", tmp.path, "3000"], timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        let ok = lines.filter { $0.hasPrefix("ok ") }.map { UInt64($0.dropFirst(3))! }
        let failed = lines.filter { $0.hasPrefix("failed ") }
        #expect(!ok.isEmpty)
        #expect(ok == Array(1...UInt64(ok.count)))
        #expect(failed.count == 5)
        let messages = Set(failed.map { $0.split(separator: " ", maxSplits: 2)[2] })
        #expect(messages.count == 1, "every failure is the first one: \(messages)")
        #expect(messages.first?.contains("File too large") == true)
        #expect(lines.last == "failure " + String(messages.first ?? ""))

        let directory = try DataDirectory(path: tmp.path)
        let (log, records, report) = try WriteAheadLog.open(directory: directory)
        #expect(Array(records.prefix(ok.count)) == ok.map { LogRecord(sequence: $0, payload: probePayload($0)) })
        #expect(records.count == ok.count, "\(report)")
        log.close()
        directory.close()
    }
}
