import Coordination

/// One write-ahead log record: the transaction with the zxid and time it was applied with,
/// so that replay reproduces the same tree byte for byte.
struct LogEntry {
    let zxid: Int64
    let time: Int64
    let transaction: Transaction


    /// The record of a transaction whose encoding is `body`: the encoding can be made before
    /// the zxid is known, and its size counted.
    static func encode(zxid: Int64, time: Int64, body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + body.count)
        for value in [zxid, time] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> Int64(shift))) }
        }
        bytes.append(contentsOf: body)
        return bytes
    }

    /// The zxid and time before the transaction.
    static let headerSize = 16

    /// - Throws: `CoordinationError.badArguments` for a short or undecodable record.
    init(decoding bytes: [UInt8]) throws(CoordinationError) {
        guard bytes.count >= 16 else { throw .badArguments("log record: \(bytes.count) bytes, shorter than its header") }
        func int64(at offset: Int) -> Int64 {
            bytes[offset..<(offset + 8)].reduce(0) { $0 << 8 | Int64($1) }
        }
        zxid = int64(at: 0)
        time = int64(at: 8)
        transaction = try Transaction.decode(bytes[16...])
    }

    init(zxid: Int64, time: Int64, transaction: Transaction) {
        self.zxid = zxid
        self.time = time
        self.transaction = transaction
    }
}
