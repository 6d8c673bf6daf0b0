/// What `LogRecordCodec.decodeSegment` found in a segment's bytes: the intact records, where
/// the intact prefix ends, and why it ends there.
public struct SegmentDecoding: Equatable, Sendable {
    /// The sequence the segment header says its first record has; nil when the header itself
    /// is missing or damaged.
    public var firstSequence: UInt64?
    /// The intact records before the first defect, in order, with consecutive sequences.
    public var records: [LogRecord]
    /// The length of the intact prefix (header and whole records); what a torn tail is cut
    /// back to.
    public var validLength: Int
    /// How the intact prefix ends.
    public var end: SegmentEnd

    public init(firstSequence: UInt64?, records: [LogRecord], validLength: Int, end: SegmentEnd) {
        self.firstSequence = firstSequence
        self.records = records
        self.validLength = validLength
        self.end = end
    }

    /// The sequence the record after the intact ones would have.
    public var nextSequence: UInt64? { firstSequence.map { $0 + UInt64(records.count) } }
}

/// How the intact prefix of a segment ends.
public enum SegmentEnd: Equatable, Sendable {
    /// The segment is intact to its last byte.
    case clean
    /// The bytes from `offset` to the end are what an interrupted append leaves: a record cut
    /// short, or a damaged record with no intact record after it. Those records were never
    /// acknowledged (a completion comes only after fdatasync), so cutting them off is safe.
    case tornTail(offset: Int, defect: RecordDefect)
    /// The bytes at `offset` are damaged but cannot be an interrupted append: intact records
    /// follow at `nextValidRecordOffset`, or (nil) the damage is in a part a crash cannot tear,
    /// such as a header or an intact record with the wrong sequence. Dropping the rest would
    /// lose acknowledged writes, so this must be reported, not repaired.
    case corruption(offset: Int, defect: RecordDefect, nextValidRecordOffset: Int?)
}

/// What is wrong with the bytes at a given offset of a segment.
public enum RecordDefect: Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than a segment header.
    case truncatedSegmentHeader(available: Int)
    /// The file does not start with `ZKGWAL01`.
    case badMagic
    /// A segment header of a format version this code does not read.
    case unsupportedVersion(UInt32)
    /// The segment header's checksum does not match.
    case segmentHeaderChecksumMismatch
    /// Fewer bytes left than a record header.
    case truncatedRecordHeader(available: Int)
    /// The record's length runs past the end of the segment.
    case truncatedPayload(length: Int, available: Int)
    /// A length above `LogRecordCodec.maxPayloadSize`, which no writer produces.
    case lengthTooLarge(Int)
    /// The record's checksum does not match its sequence and payload.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// An intact record whose sequence does not follow the previous one.
    case unexpectedSequence(expected: UInt64, found: UInt64)

    public var description: String {
        switch self {
        case .truncatedSegmentHeader(let n): "segment header cut short after \(n) bytes"
        case .badMagic: "not a zkgate log segment (bad magic)"
        case .unsupportedVersion(let v): "unsupported segment format version \(v)"
        case .segmentHeaderChecksumMismatch: "segment header checksum mismatch"
        case .truncatedRecordHeader(let n): "record header cut short after \(n) bytes"
        case .truncatedPayload(let length, let n): "record of \(length) bytes cut short after \(n) bytes"
        case .lengthTooLarge(let length): "record length \(length) above the limit"
        case .checksumMismatch(let stored, let computed):
            "record checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))"
        case .unexpectedSequence(let expected, let found): "record sequence \(found) where \(expected) was expected"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
