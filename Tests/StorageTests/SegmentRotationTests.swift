import Storage
import Testing

@Suite("WriteAheadLog segments")
struct SegmentRotationTests {
    /// Fills a log with 1 KiB segments: 200 records of 16 + 50 bytes, appended one at a time.
    private func filledLog(_ tmp: TemporaryDirectory) throws -> (DataDirectory, WriteAheadLog) {
        let directory = try DataDirectory(path: tmp.path)
        let (log, _, _) = try WriteAheadLog.open(directory: directory, configuration: .init(segmentSize: 1024))
        for i in 1...200 {
            #expect(appendAndWait(log, [UInt8](repeating: UInt8(i), count: 50)) == .success(UInt64(i)))
        }
        return (directory, log)
    }

    /// Fills a log as `filledLog` does and closes it, ready to be damaged.
    private func closedFilledLog(_ tmp: TemporaryDirectory) throws {
        let (directory, log) = try filledLog(tmp)
        log.close()
        directory.close()
    }

    /// Reopening the damaged log must fail with exactly `error`.
    private func expectOpenRefused(
        _ tmp: TemporaryDirectory, _ error: StorageError, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let reopened = try DataDirectory(path: tmp.path)
        defer { reopened.close() }
        #expect(throws: error, sourceLocation: sourceLocation) { try WriteAheadLog.open(directory: reopened) }
    }

    /// The first sequence in each segment's name, read back from the file.
    private func firstSequences(_ tmp: TemporaryDirectory) -> [UInt64] {
        segmentNames(tmp.path).map { UInt64($0.dropFirst(4).prefix(20))! }
    }

    @Test func rotatesAtTheSizeAndNamesSegmentsByFirstSequence() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let (directory, log) = try filledLog(tmp)
        let names = segmentNames(tmp.path)
        #expect(log.segmentPaths == names.map { tmp.file($0) })
        #expect(names.first == "wal-00000000000000000001.log")
        // 24-byte header + 66-byte records: the 16th record reaches 1,080 >= 1,024 bytes, so
        // each full segment holds 16 records (the limit is soft by one batch).
        #expect(firstSequences(tmp) == Array(stride(from: 1, through: 200, by: 16)))
        for name in names.dropLast() { #expect(fileSize(tmp.file(name)) == 24 + 16 * 66, "\(name)") }
        #expect(log.statistics.rotations == UInt64(names.count - 1))
        log.close()
        directory.close()

        let reopened = try DataDirectory(path: tmp.path)
        let (again, records, report) = try WriteAheadLog.open(directory: reopened, configuration: .init(segmentSize: 1024))
        #expect(report.isClean)
        #expect(report.segmentCount == names.count)
        #expect(records.map(\.sequence) == Array(1...200))
        #expect(records.allSatisfy { $0.payload == [UInt8](repeating: UInt8($0.sequence), count: 50) })
        #expect(appendAndWait(again, [9]) == .success(201))
        again.close()
        reopened.close()
    }

    @Test func removeSegmentsDeletesOnlyWhollyCoveredOnes() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let (directory, log) = try filledLog(tmp)
        let before = firstSequences(tmp)  // 1, 17, 33, ...

        #expect(try log.removeSegments(coveredBy: 0) == 0)
        #expect(try log.removeSegments(coveredBy: 15) == 0)  // segment 1...16 still has 16
        #expect(try log.removeSegments(coveredBy: 16) == 1)
        #expect(firstSequences(tmp) == Array(before.dropFirst()))
        #expect(try log.removeSegments(coveredBy: 100) == 5)  // up to 81...96; 97...112 holds 101
        #expect(firstSequences(tmp).first == 97)
        // Everything is covered, but the segment receiving appends stays.
        #expect(try log.removeSegments(coveredBy: 10_000) == before.count - 7)
        #expect(firstSequences(tmp) == [before.last!])
        #expect(appendAndWait(log, [1]) == .success(201))
        log.close()
        directory.close()

        let reopened = try DataDirectory(path: tmp.path)
        let (again, records, report) = try WriteAheadLog.open(directory: reopened)
        #expect(report.firstSequence == before.last!)
        #expect(report.lastSequence == 201)
        #expect(report.nextSequence == 202)
        #expect(records.map(\.sequence) == Array(before.last!...201))
        again.close()
        reopened.close()
    }

    @Test func aMissingMiddleSegmentIsAGap() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        try closedFilledLog(tmp)
        let names = segmentNames(tmp.path)
        try removeFile(tmp.file(names[2]))
        try expectOpenRefused(tmp, .sequenceGap(path: tmp.file(names[3]), expected: 33, found: 49))
    }

    @Test func aRenamedSegmentIsRefused() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        try closedFilledLog(tmp)
        let names = segmentNames(tmp.path)
        try renameFile(tmp.file(names[0]), tmp.file("wal-00000000000000000002.log"))
        try expectOpenRefused(tmp, .misnamedSegment(path: tmp.file("wal-00000000000000000002.log"), headerSequence: 1))
    }

    /// Only the last segment can be torn by a crash; a cut-short earlier one is damage.
    @Test func aTornSegmentBeforeTheLastIsCorruption() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        try closedFilledLog(tmp)
        let victim = tmp.file(segmentNames(tmp.path)[1])
        let bytes = fileBytes(victim)
        try writeFile(victim, Array(bytes.dropLast(10)))
        try expectOpenRefused(tmp, .corruptSegment(
            path: victim, offset: 24 + 15 * 66, defect: .truncatedPayload(length: 50, available: 40), nextValidRecordOffset: nil))
        #expect(fileBytes(victim).count == bytes.count - 10, "a refused log must be left as it was")
    }
}
