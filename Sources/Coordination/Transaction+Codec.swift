/// The write-ahead-log encoding of a transaction. Big-endian throughout; `str` and `bytes` are a
/// u32 length followed by that many bytes (UTF-8 for `str`):
///
/// ```
/// u8  format          1
/// u8  kind            1 operations | 2 createSession | 3 closeSession
/// kind 1: u8 hasSession (0|1) [i64 session]  u32 count  count × operation
///   operation: u8 tag
///     1 create   str path  bytes data  u8 mode (ZooKeeper's CreateMode flag)  u8 hasTTL (0|1) [i64 ttlMs]
///     2 delete   str path  i32 version
///     3 setData  str path  bytes data  i32 version
///     4 check    str path  i32 version
/// kind 2: i64 id  i64 timeoutMs
/// kind 3: i64 id
/// ```
///
/// The record carries no length or checksum of its own: the log frames and checksums records.
extension Transaction {
    static let formatVersion: UInt8 = 1

    /// The record for the write-ahead log.
    public func encode() -> [UInt8] {
        var out = BinaryWriter()
        out.u8(Self.formatVersion)
        switch self {
        case .operations(let operations, let session):
            out.u8(1)
            if let session {
                out.u8(1)
                out.i64(session)
            } else {
                out.u8(0)
            }
            out.u32(UInt32(operations.count))
            for operation in operations { operation.encode(into: &out) }
        case .createSession(let id, let timeoutMs):
            out.u8(2)
            out.i64(id)
            out.i64(timeoutMs)
        case .closeSession(let id):
            out.u8(3)
            out.i64(id)
        }
        return out.bytes
    }

    /// Decodes one record written by ``encode()``.
    ///
    /// - Throws: ``CoordinationError/badArguments(_:)`` naming the field and offset if the record
    ///   is truncated, has trailing bytes, an unknown format, kind, tag or mode, a flag other than
    ///   0 or 1, or a path that is not UTF-8 or breaks the path rules.
    public static func decode(_ bytes: [UInt8]) throws(CoordinationError) -> Transaction {
        try decode(bytes[...])
    }

    /// Decodes one record written by ``encode()`` from part of a larger buffer.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(CoordinationError) -> Transaction {
        var input = BinaryReader(bytes, record: "transaction")
        let format = try input.u8("format")
        guard format == formatVersion else { throw input.corrupt("unknown format \(format)") }
        let kindOffset = input.offset
        let transaction: Transaction
        switch try input.u8("kind") {
        case 1:
            let session: Int64? = try input.flag("hasSession") ? try input.i64("session") : nil
            let count = try input.u32("operation count")
            var operations: [Operation] = []
            for _ in 0..<count { operations.append(try Operation.decode(from: &input)) }
            transaction = .operations(operations, session: session)
        case 2:
            transaction = .createSession(id: try input.i64("session id"), timeoutMs: try input.i64("timeout"))
        case 3:
            transaction = .closeSession(id: try input.i64("session id"))
        case let kind:
            throw input.corrupt("unknown kind \(kind) at offset \(kindOffset)")
        }
        try input.finish()
        return transaction
    }
}

extension Operation {
    func encode(into out: inout BinaryWriter) {
        switch self {
        case .create(let path, let data, let mode, let ttlMs):
            out.u8(1)
            out.string(path.string)
            out.blob(data)
            out.u8(UInt8(mode.zookeeperFlag))
            if let ttlMs {
                out.u8(1)
                out.i64(ttlMs)
            } else {
                out.u8(0)
            }
        case .delete(let path, let version):
            out.u8(2)
            out.string(path.string)
            out.i32(version)
        case .setData(let path, let data, let version):
            out.u8(3)
            out.string(path.string)
            out.blob(data)
            out.i32(version)
        case .check(let path, let version):
            out.u8(4)
            out.string(path.string)
            out.i32(version)
        }
    }

    // Paths decode with `sequential: true`, the loosest rule, so that every operation that can be
    // built (a sequential prefix in a non-sequential create included) survives the round trip;
    // applying it then fails exactly as it would have live.
    static func decode(from input: inout BinaryReader) throws(CoordinationError) -> Operation {
        let tagOffset = input.offset
        switch try input.u8("operation tag") {
        case 1:
            let path = try input.path("path", sequential: true)
            let data = try input.blob("data")
            let flagOffset = input.offset
            let flag = try input.u8("mode")
            guard let mode = CreateMode(zookeeperFlag: Int32(flag)) else {
                throw input.corrupt("unknown create mode \(flag) at offset \(flagOffset)")
            }
            let ttlMs: Int64? = try input.flag("hasTTL") ? try input.i64("ttl") : nil
            return .create(path: path, data: data, mode: mode, ttlMs: ttlMs)
        case 2:
            return .delete(path: try input.path("path", sequential: true), version: try input.i32("version"))
        case 3:
            let path = try input.path("path", sequential: true)
            return .setData(path: path, data: try input.blob("data"), version: try input.i32("version"))
        case 4:
            return .check(path: try input.path("path", sequential: true), version: try input.i32("version"))
        case let tag:
            throw input.corrupt("unknown operation tag \(tag) at offset \(tagOffset)")
        }
    }
}

extension BinaryReader {
    mutating func flag(_ field: String) throws(CoordinationError) -> Bool {
        let start = offset
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let value: throw corrupt("\(field) at offset \(start) is \(value), not 0 or 1")
        }
    }
}
