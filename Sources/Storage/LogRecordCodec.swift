/// The write-ahead log's on-disk format, without any I/O (so it can be tested and fuzzed on
/// byte arrays).
///
/// A segment is a header followed by records, all integers big-endian:
///
///     segment header (24 bytes): "ZKGWAL01" | u32 format version | u64 first sequence
///                                | u32 CRC-32C of the previous 20 bytes
///     record (16 + n bytes):     u32 payload length n | u32 CRC-32C of (sequence ‖ payload)
///                                | u64 sequence | payload
///
/// The sequence sits right before the payload so the checksummed bytes are contiguous. The
/// checksum covers the sequence so a record copied to the wrong place is caught, and the
/// length is outside it on purpose: a damaged length is caught because the checksum then
/// covers the wrong bytes.
public enum LogRecordCodec {
    /// The first bytes of every segment.
    public static let segmentMagic: [UInt8] = Array("ZKGWAL01".utf8)
    /// The segment format this code writes and reads.
    public static let formatVersion: UInt32 = 1
    /// Bytes in a segment header.
    public static let segmentHeaderSize = 24
    /// Bytes in a record's framing before its payload.
    public static let recordHeaderSize = 16
    /// The largest payload a record may carry (16 MiB). Bounds what a damaged length field can
    /// make a reader allocate or scan.
    public static let maxPayloadSize = 16 << 20

    // MARK: Encoding

    /// Appends a segment header for a segment whose first record has `firstSequence`.
    public static func appendSegmentHeader(firstSequence: UInt64, to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: segmentMagic)
        BigEndian.append(formatVersion, to: &bytes)
        BigEndian.append(firstSequence, to: &bytes)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        BigEndian.append(crc, to: &bytes)
    }

    /// Appends one framed record.
    ///
    /// - Throws: `StorageError.recordTooLarge` when `payload` exceeds `maxPayloadSize`.
    public static func appendRecord(sequence: UInt64, payload: [UInt8], to bytes: inout [UInt8]) throws(StorageError) {
        guard payload.count <= maxPayloadSize else {
            throw .recordTooLarge(size: payload.count, limit: maxPayloadSize)
        }
        let start = bytes.count
        BigEndian.append(UInt32(payload.count), to: &bytes)
        BigEndian.append(UInt32(0), to: &bytes)  // checksum, filled in below
        BigEndian.append(sequence, to: &bytes)
        bytes.append(contentsOf: payload)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 8)...])) }
        withUnsafeBytes(of: crc.bigEndian) { word in
            for i in 0..<4 { bytes[start + 4 + i] = word[i] }
        }
    }

    // MARK: Decoding

    /// Decodes a whole segment: its header, then records until the end or the first defect.
    ///
    /// A defect is classified by what follows it. If an intact record with a plausible
    /// sequence appears anywhere after it, the damage is in the middle (`.corruption`): an
    /// interrupted append only ever damages the end. Otherwise it is `.tornTail`. Damage to the
    /// header, and an intact record with the wrong sequence, are always `.corruption`.
    public static func decodeSegment(_ bytes: UnsafeRawBufferPointer) -> SegmentDecoding {
        let n = bytes.count
        if n < segmentHeaderSize {
            // A crash while the header was being written; rotation writes the header before
            // the file gets its name, so this only happens to a file from elsewhere or from a
            // filesystem that lost the ordering. Bytes that are not a header prefix are not ours.
            let k = min(n, segmentMagic.count)
            guard bytes.prefix(k).elementsEqual(segmentMagic.prefix(k)) else {
                return SegmentDecoding(
                    firstSequence: nil, records: [], validLength: 0,
                    end: .corruption(offset: 0, defect: .badMagic, nextValidRecordOffset: nil))
            }
            return SegmentDecoding(
                firstSequence: nil, records: [], validLength: 0,
                end: .tornTail(offset: 0, defect: .truncatedSegmentHeader(available: n)))
        }
        if let defect = headerDefect(bytes) {
            return SegmentDecoding(
                firstSequence: nil, records: [], validLength: 0,
                end: .corruption(offset: 0, defect: defect, nextValidRecordOffset: nil))
        }
        let firstSequence = BigEndian.read(UInt64.self, from: bytes, at: 12)
        var records: [LogRecord] = []
        var offset = segmentHeaderSize
        var expected = firstSequence
        while offset < n {
            switch decodeRecord(bytes, at: offset, expected: expected) {
            case .record(let record, let end):
                records.append(record)
                offset = end
                expected &+= 1
            case .defect(let defect):
                let end: SegmentEnd
                if case .unexpectedSequence = defect {
                    end = .corruption(offset: offset, defect: defect, nextValidRecordOffset: nil)
                } else if let next = intactRecord(in: bytes, after: offset, expected: expected) {
                    end = .corruption(offset: offset, defect: defect, nextValidRecordOffset: next)
                } else {
                    end = .tornTail(offset: offset, defect: defect)
                }
                return SegmentDecoding(firstSequence: firstSequence, records: records, validLength: offset, end: end)
            }
        }
        return SegmentDecoding(firstSequence: firstSequence, records: records, validLength: offset, end: .clean)
    }

    /// Decodes a whole segment held in an array.
    public static func decodeSegment(_ bytes: [UInt8]) -> SegmentDecoding {
        bytes.withUnsafeBytes { decodeSegment($0) }
    }

    private static func headerDefect(_ bytes: UnsafeRawBufferPointer) -> RecordDefect? {
        guard bytes.prefix(segmentMagic.count).elementsEqual(segmentMagic) else { return .badMagic }
        let version = BigEndian.read(UInt32.self, from: bytes, at: 8)
        guard version == formatVersion else { return .unsupportedVersion(version) }
        let stored = BigEndian.read(UInt32.self, from: bytes, at: 20)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<20])) == stored else {
            return .segmentHeaderChecksumMismatch
        }
        return nil
    }

    private enum RecordOutcome {
        case record(LogRecord, end: Int)
        case defect(RecordDefect)
    }

    private static func decodeRecord(_ bytes: UnsafeRawBufferPointer, at offset: Int, expected: UInt64) -> RecordOutcome {
        let available = bytes.count - offset
        guard available >= recordHeaderSize else { return .defect(.truncatedRecordHeader(available: available)) }
        let length = Int(BigEndian.read(UInt32.self, from: bytes, at: offset))
        guard length <= maxPayloadSize else { return .defect(.lengthTooLarge(length)) }
        guard length <= available - recordHeaderSize else {
            return .defect(.truncatedPayload(length: length, available: available - recordHeaderSize))
        }
        let stored = BigEndian.read(UInt32.self, from: bytes, at: offset + 4)
        let end = offset + recordHeaderSize + length
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<end]))
        // The checksum is checked before the sequence: a torn record must read as damaged, not
        // as a sequence error (which would mean corruption).
        guard computed == stored else { return .defect(.checksumMismatch(stored: stored, computed: computed)) }
        let sequence = BigEndian.read(UInt64.self, from: bytes, at: offset + 8)
        guard sequence == expected else { return .defect(.unexpectedSequence(expected: expected, found: sequence)) }
        let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[(offset + recordHeaderSize)..<end]))
        return .record(LogRecord(sequence: sequence, payload: payload), end: end)
    }

    /// The offset of the first intact record after a defect at `defectOffset`, if any: tried
    /// at every byte, since a damaged length says nothing about where the next record starts.
    /// Only sequences that could follow (from `expected` up to one record per 16 remaining
    /// bytes) are checksummed, so scanning garbage costs a couple of loads per byte.
    private static func intactRecord(in bytes: UnsafeRawBufferPointer, after defectOffset: Int, expected: UInt64) -> Int? {
        let n = bytes.count
        let highest = expected &+ UInt64((n - defectOffset) / recordHeaderSize)
        var q = defectOffset + 1
        while q + recordHeaderSize <= n {
            let sequence = BigEndian.read(UInt64.self, from: bytes, at: q + 8)
            if sequence >= expected && sequence <= highest {
                let length = Int(BigEndian.read(UInt32.self, from: bytes, at: q))
                if length <= maxPayloadSize && length <= n - q - recordHeaderSize {
                    let stored = BigEndian.read(UInt32.self, from: bytes, at: q + 4)
                    let end = q + recordHeaderSize + length
                    if CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(q + 8)..<end])) == stored { return q }
                }
            }
            q += 1
        }
        return nil
    }
}
