/// Reads what ``BinaryWriter`` wrote, failing on short input instead of trapping. Every error is
/// a ``CoordinationError/badArguments(_:)`` that names the record kind, the field and the offset.
struct BinaryReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    private let record: String

    init(_ bytes: ArraySlice<UInt8>, record: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.record = record
    }

    /// The offset from the start of the record.
    var offset: Int { position - bytes.startIndex }

    func corrupt(_ detail: String) -> CoordinationError {
        .badArguments("\(record) record: \(detail)")
    }

    private mutating func take(_ count: Int, for field: String) throws(CoordinationError) -> ArraySlice<UInt8> {
        let left = bytes.endIndex - position
        guard count <= left else {
            throw corrupt("truncated: \(field) needs \(count) bytes at offset \(offset), \(left) left")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func u8(_ field: String) throws(CoordinationError) -> UInt8 {
        try take(1, for: field).first!
    }

    mutating func u32(_ field: String) throws(CoordinationError) -> UInt32 {
        try take(4, for: field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func i32(_ field: String) throws(CoordinationError) -> Int32 {
        Int32(bitPattern: try u32(field))
    }

    mutating func i64(_ field: String) throws(CoordinationError) -> Int64 {
        Int64(bitPattern: try take(8, for: field).reduce(0) { $0 << 8 | UInt64($1) })
    }

    mutating func blob(_ field: String) throws(CoordinationError) -> [UInt8] {
        let count = try u32("\(field) length")
        return Array(try take(Int(count), for: field))
    }

    mutating func string(_ field: String) throws(CoordinationError) -> String {
        let start = offset
        let count = try u32("\(field) length")
        let utf8 = try take(Int(count), for: field)
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw corrupt("\(field) at offset \(start) is not valid UTF-8")
        }
        return string
    }

    mutating func path(_ field: String, sequential: Bool) throws(CoordinationError) -> ZNodePath {
        let start = offset
        let string = try string(field)
        do throws(CoordinationError) {
            return try ZNodePath(validating: string, sequential: sequential)
        } catch {
            throw corrupt("\(field) at offset \(start): \(error.message)")
        }
    }

    mutating func expect(_ magic: [UInt8], _ field: String) throws(CoordinationError) {
        let start = offset
        guard try take(magic.count, for: field).elementsEqual(magic) else {
            throw corrupt("bad \(field) at offset \(start)")
        }
    }

    /// Rejects bytes after the record, which mean a framing bug or a corrupt length.
    func finish() throws(CoordinationError) {
        let left = bytes.endIndex - position
        if left > 0 { throw corrupt("\(left) unexpected byte\(left == 1 ? "" : "s") after the end at offset \(offset)") }
    }
}
