import Storage
import Testing
import TestSupport

/// A segment of `count` records from `first`, with payload lengths 0, 3, 6, ... and the offsets
/// where each record starts and ends.
private func makeSegment(first: UInt64 = 1, count: Int) throws -> (bytes: [UInt8], records: [LogRecord], ends: [Int]) {
    var bytes: [UInt8] = []
    LogRecordCodec.appendSegmentHeader(firstSequence: first, to: &bytes)
    var records: [LogRecord] = []
    var ends: [Int] = []
    for i in 0..<count {
        let record = LogRecord(sequence: first + UInt64(i), payload: (0..<(i * 3)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) })
        try LogRecordCodec.appendRecord(sequence: record.sequence, payload: record.payload, to: &bytes)
        records.append(record)
        ends.append(bytes.count)
    }
    return (bytes, records, ends)
}

@Suite("LogRecordCodec")
struct LogRecordCodecTests {
    @Test func roundTrip() throws {
        var bytes: [UInt8] = []
        LogRecordCodec.appendSegmentHeader(firstSequence: 41, to: &bytes)
        #expect(bytes.count == LogRecordCodec.segmentHeaderSize)
        #expect(Array(bytes.prefix(8)) == Array("ZKGWAL01".utf8))
        let payloads: [[UInt8]] = [[], [1], Array("hello".utf8), [UInt8](repeating: 0xEE, count: 1 << 20)]
        for (i, payload) in payloads.enumerated() {
            try LogRecordCodec.appendRecord(sequence: 41 + UInt64(i), payload: payload, to: &bytes)
        }
        let decoded = LogRecordCodec.decodeSegment(bytes)
        #expect(decoded.firstSequence == 41)
        #expect(decoded.records == payloads.enumerated().map { LogRecord(sequence: 41 + UInt64($0), payload: $1) })
        #expect(decoded.end == .clean)
        #expect(decoded.validLength == bytes.count)
        #expect(decoded.nextSequence == 45)
    }

    @Test func framingIsBigEndianLengthChecksumSequencePayload() throws {
        var bytes: [UInt8] = []
        try LogRecordCodec.appendRecord(sequence: 0x0102_0304_0506_0708, payload: [0xAA, 0xBB], to: &bytes)
        #expect(Array(bytes[0..<4]) == [0, 0, 0, 2])
        #expect(Array(bytes[8..<16]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(bytes[16...]) == [0xAA, 0xBB])
        let crc = CRC32C.checksum(bytes[8...])
        #expect(Array(bytes[4..<8]) == [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)])
    }

    @Test func headerOnlySegmentIsCleanAndEmpty() {
        var bytes: [UInt8] = []
        LogRecordCodec.appendSegmentHeader(firstSequence: 7, to: &bytes)
        let decoded = LogRecordCodec.decodeSegment(bytes)
        #expect(decoded == SegmentDecoding(firstSequence: 7, records: [], validLength: 24, end: .clean))
        #expect(decoded.nextSequence == 7)
    }

    @Test func payloadAboveSixteenMebibytesIsRefused() throws {
        var bytes: [UInt8] = []
        #expect(throws: StorageError.recordTooLarge(size: (16 << 20) + 1, limit: 16 << 20)) {
            try LogRecordCodec.appendRecord(sequence: 1, payload: [UInt8](repeating: 0, count: (16 << 20) + 1), to: &bytes)
        }
        #expect(bytes.isEmpty)
        try LogRecordCodec.appendRecord(sequence: 1, payload: [UInt8](repeating: 0, count: 16 << 20), to: &bytes)
        #expect(bytes.count == 16 + (16 << 20))
    }

    /// A crash can cut a segment anywhere: every cut must give exactly the records that were
    /// complete before it, and anything after the last of them is a torn tail.
    @Test func truncatedAtEveryOffset() throws {
        let (bytes, records, ends) = try makeSegment(count: 12)
        for cut in 0...bytes.count {
            let decoded = LogRecordCodec.decodeSegment(Array(bytes[0..<cut]))
            let complete = ends.filter { $0 <= cut }.count
            if cut < LogRecordCodec.segmentHeaderSize {
                #expect(decoded.records.isEmpty, "cut \(cut)")
                #expect(decoded.end == .tornTail(offset: 0, defect: .truncatedSegmentHeader(available: cut)), "cut \(cut)")
                continue
            }
            let boundary = complete == 0 ? LogRecordCodec.segmentHeaderSize : ends[complete - 1]
            #expect(decoded.records == Array(records.prefix(complete)), "cut \(cut)")
            #expect(decoded.validLength == boundary, "cut \(cut)")
            if cut == boundary {
                #expect(decoded.end == .clean, "cut \(cut)")
            } else {
                guard case .tornTail(let offset, let defect) = decoded.end else {
                    Issue.record("cut \(cut): \(decoded.end)")
                    continue
                }
                #expect(offset == boundary, "cut \(cut)")
                let left = cut - boundary
                let expected: RecordDefect = left < 16
                    ? .truncatedRecordHeader(available: left)
                    : .truncatedPayload(length: records[complete].payload.count, available: left - 16)
                #expect(defect == expected, "cut \(cut)")
            }
        }
    }

    /// Any changed byte of the last record reads as a torn tail at that record: nothing
    /// intact follows it, so it is what an interrupted write leaves.
    @Test func flippedByteInLastRecordIsTornTail() throws {
        let (bytes, records, ends) = try makeSegment(count: 6)
        let lastStart = ends[ends.count - 2]
        for position in lastStart..<bytes.count {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[position] ^= mask
                let decoded = LogRecordCodec.decodeSegment(damaged)
                #expect(decoded.records == Array(records.dropLast()), "byte \(position) ^ \(mask)")
                #expect(decoded.validLength == lastStart)
                guard case .tornTail(let offset, _) = decoded.end else {
                    Issue.record("byte \(position) ^ \(mask): \(decoded.end)")
                    continue
                }
                #expect(offset == lastStart)
            }
        }
    }

    /// A changed byte in a record with intact records after it cannot be an interrupted write:
    /// it is corruption, and the report says where the intact records resume.
    @Test func flippedByteInMiddleRecordIsCorruption() throws {
        let (bytes, records, ends) = try makeSegment(count: 6)
        for victim in 1...3 {
            let start = ends[victim - 1]
            for position in start..<ends[victim] {
                for mask: UInt8 in [0x01, 0x80, 0xFF] {
                    var damaged = bytes
                    damaged[position] ^= mask
                    let decoded = LogRecordCodec.decodeSegment(damaged)
                    #expect(decoded.records == Array(records.prefix(victim)), "record \(victim) byte \(position)")
                    #expect(decoded.validLength == start)
                    guard case .corruption(let offset, _, let next) = decoded.end else {
                        Issue.record("record \(victim) byte \(position) ^ \(mask): \(decoded.end)")
                        continue
                    }
                    #expect(offset == start)
                    #expect(next == ends[victim], "record \(victim) byte \(position) ^ \(mask)")
                }
            }
        }
    }

    @Test func oversizedLengthIsCorruptionInTheMiddleAndTornAtTheEnd() throws {
        let (bytes, records, ends) = try makeSegment(count: 4)
        let huge: [UInt8] = [0x01, 0x00, 0x00, 0x01]  // 16 MiB + 1
        var middle = bytes
        middle.replaceSubrange(ends[1]..<(ends[1] + 4), with: huge)
        let decodedMiddle = LogRecordCodec.decodeSegment(middle)
        #expect(decodedMiddle.records == Array(records.prefix(2)))
        #expect(decodedMiddle.end == .corruption(offset: ends[1], defect: .lengthTooLarge((16 << 20) + 1), nextValidRecordOffset: ends[2]))

        var last = bytes
        last.replaceSubrange(ends[2]..<(ends[2] + 4), with: huge)
        let decodedLast = LogRecordCodec.decodeSegment(last)
        #expect(decodedLast.records == Array(records.prefix(3)))
        #expect(decodedLast.end == .tornTail(offset: ends[2], defect: .lengthTooLarge((16 << 20) + 1)))
    }

    @Test func intactRecordWithWrongSequenceIsCorruption() throws {
        var bytes: [UInt8] = []
        LogRecordCodec.appendSegmentHeader(firstSequence: 1, to: &bytes)
        try LogRecordCodec.appendRecord(sequence: 1, payload: [1], to: &bytes)
        let second = bytes.count
        try LogRecordCodec.appendRecord(sequence: 3, payload: [3], to: &bytes)
        let decoded = LogRecordCodec.decodeSegment(bytes)
        #expect(decoded.records == [LogRecord(sequence: 1, payload: [1])])
        #expect(decoded.end == .corruption(offset: second, defect: .unexpectedSequence(expected: 2, found: 3), nextValidRecordOffset: nil))
    }

    @Test func damagedHeaderIsCorruption() throws {
        let (bytes, _, _) = try makeSegment(count: 2)
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(LogRecordCodec.decodeSegment(magic).end == .corruption(offset: 0, defect: .badMagic, nextValidRecordOffset: nil))
        var version = bytes
        version[11] = 2
        #expect(LogRecordCodec.decodeSegment(version).end == .corruption(offset: 0, defect: .unsupportedVersion(2), nextValidRecordOffset: nil))
        for position in 12..<24 {
            var sequence = bytes
            sequence[position] ^= 0x10
            #expect(LogRecordCodec.decodeSegment(sequence).end
                == .corruption(offset: 0, defect: .segmentHeaderChecksumMismatch, nextValidRecordOffset: nil))
        }
        #expect(LogRecordCodec.decodeSegment(Array("NOTAWAL".utf8)).end == .corruption(offset: 0, defect: .badMagic, nextValidRecordOffset: nil))
    }

    /// Arbitrary bytes after a valid prefix (what a power cut can leave in unsynced pages) are
    /// a torn tail, found without a quadratic scan.
    @Test func randomGarbageAfterRecordsIsTornTail() throws {
        var rng = SeededGenerator(seed: 99)
        let (bytes, records, _) = try makeSegment(count: 5)
        for length in [1, 15, 16, 17, 100, 4096, 1 << 20] {
            let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let decoded = LogRecordCodec.decodeSegment(bytes + garbage)
            #expect(decoded.records == records, "garbage \(length)")
            #expect(decoded.validLength == bytes.count)
            guard case .tornTail(let offset, _) = decoded.end else {
                Issue.record("garbage \(length): \(decoded.end)")
                continue
            }
            #expect(offset == bytes.count)
        }
        let zeros = LogRecordCodec.decodeSegment(bytes + [UInt8](repeating: 0, count: 8192))
        #expect(zeros.records == records)
        #expect(zeros.end == .tornTail(offset: bytes.count, defect: .checksumMismatch(stored: 0, computed: CRC32C.checksum([UInt8](repeating: 0, count: 8)))))
    }
}
