/// The snapshot file format, without I/O. Big-endian, 32-byte header then the bytes:
///
///     "ZKGSNP01" | u32 format version | u64 sequence | u64 length
///     | u32 CRC-32C of (the previous 28 header bytes ‖ bytes) | bytes
///
/// The checksum covers the header too, so a damaged sequence or length is caught.
public enum SnapshotFormat {
    public static let magic: [UInt8] = Array("ZKGSNP01".utf8)
    public static let formatVersion: UInt32 = 1
    public static let headerSize = 32

    /// The header for a snapshot of `bytes` taken at `sequence`.
    public static func header(sequence: UInt64, bytes: [UInt8]) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(headerSize)
        header.append(contentsOf: magic)
        BigEndian.append(formatVersion, to: &header)
        BigEndian.append(sequence, to: &header)
        BigEndian.append(UInt64(bytes.count), to: &header)
        var crc = CRC32C()
        crc.update(header)
        crc.update(bytes)
        BigEndian.append(crc.value, to: &header)
        return header
    }

    /// The sequence and bytes of a whole snapshot file, or what is wrong with it.
    public static func decode(_ file: [UInt8]) -> Result<(sequence: UInt64, bytes: [UInt8]), SnapshotDefect> {
        file.withUnsafeBytes { raw in
            guard raw.count >= headerSize else { return .failure(.truncatedHeader(available: raw.count)) }
            guard raw.prefix(magic.count).elementsEqual(magic) else { return .failure(.badMagic) }
            let version = BigEndian.read(UInt32.self, from: raw, at: 8)
            guard version == formatVersion else { return .failure(.unsupportedVersion(version)) }
            let sequence = BigEndian.read(UInt64.self, from: raw, at: 12)
            let length = BigEndian.read(UInt64.self, from: raw, at: 20)
            let available = UInt64(raw.count - headerSize)
            guard length == available else { return .failure(.lengthMismatch(header: length, actual: available)) }
            var crc = CRC32C()
            crc.update(UnsafeRawBufferPointer(rebasing: raw[0..<28]))
            crc.update(UnsafeRawBufferPointer(rebasing: raw[headerSize...]))
            let stored = BigEndian.read(UInt32.self, from: raw, at: 28)
            guard crc.value == stored else { return .failure(.checksumMismatch) }
            return .success((sequence, Array(raw[headerSize...])))
        }
    }
}

/// What is wrong with a snapshot file.
public enum SnapshotDefect: Error, Equatable, Sendable, CustomStringConvertible {
    case truncatedHeader(available: Int)
    case badMagic
    case unsupportedVersion(UInt32)
    /// The header's length disagrees with the file's (cut short, or extended).
    case lengthMismatch(header: UInt64, actual: UInt64)
    case checksumMismatch
    /// The header's sequence is not the one in the file name.
    case sequenceMismatch(name: UInt64, header: UInt64)

    public var description: String {
        switch self {
        case .truncatedHeader(let n): "header cut short after \(n) bytes"
        case .badMagic: "not a zkgate snapshot (bad magic)"
        case .unsupportedVersion(let v): "unsupported snapshot format version \(v)"
        case .lengthMismatch(let header, let actual): "header says \(header) bytes, file holds \(actual)"
        case .checksumMismatch: "checksum mismatch"
        case .sequenceMismatch(let name, let header): "named for sequence \(name) but holds sequence \(header)"
        }
    }
}
