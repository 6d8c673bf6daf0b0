import Coordination
import Testing

@Suite("Transaction codec")
struct TransactionCodecTests {
    static let shapes: [Transaction] = [
        .operations([], session: nil),
        .operations([], session: 5),
        .operations([.create(path: path("/a"), data: [], mode: .persistent)], session: nil),
        .operations([.create(path: path("/a"), data: bytes("payload"), mode: .ephemeral)], session: 0x7FFF_0000_0000_0001),
        .operations([.create(path: prefix("/q/"), data: [0, 255], mode: .persistentSequential)], session: -7),
        .operations([.create(path: prefix("/q/."), data: [], mode: .ephemeralSequential)], session: 1),
        .operations([.create(path: path("/c"), data: [], mode: .container)], session: nil),
        .operations([.create(path: path("/t"), data: [1], mode: .ttl, ttlMs: 1)], session: nil),
        .operations([.create(path: path("/t"), data: [], mode: .ttlSequential, ttlMs: (1 << 40) - 1)], session: nil),
        // Not valid to apply, but representable, so they must survive the log too.
        .operations([.create(path: path("/t"), data: [], mode: .persistent, ttlMs: -3)], session: nil),
        .operations([.create(path: prefix("/q/"), data: [], mode: .persistent)], session: nil),
        .operations([.delete(path: path("/a/b"), version: -1)], session: nil),
        .operations([.delete(path: .root, version: Int32.min)], session: nil),
        .operations([.setData(path: path("/é/e\u{301}"), data: [UInt8](repeating: 0xA5, count: 100_000), version: 3)], session: 2),
        .operations([.setData(path: path("/a"), data: [], version: Int32.max)], session: nil),
        .operations([.check(path: path("/a"), version: 0)], session: nil),
        .operations([
            .create(path: path("/m"), data: [1, 2, 3], mode: .persistent),
            .create(path: prefix("/m/n-"), data: [], mode: .ttlSequential, ttlMs: 900),
            .setData(path: path("/m"), data: [4], version: 0),
            .check(path: path("/m"), version: 1),
            .delete(path: path("/m/n-0000000000"), version: -1),
        ], session: 44),
        .createSession(id: 1, timeoutMs: 30_000),
        .createSession(id: Int64.max, timeoutMs: Int64.max),
        .closeSession(id: 0x1234_5678_9ABC_DEF0),
        .closeSession(id: Int64.min),
    ]

    @Test(arguments: shapes)
    func roundTrips(_ transaction: Transaction) throws {
        let encoded = transaction.encode()
        let decoded = try Transaction.decode(encoded)
        #expect(decoded == transaction)
        #expect(decoded.encode() == encoded)
        if case .operations(let ops, _) = decoded, case .create(let p, _, _, _)? = ops.first {
            #expect(p.isSequentialPrefix == transaction.firstPathIsSequentialPrefix)
        }
    }

    @Test(arguments: shapes)
    func everyTruncationIsRejected(_ transaction: Transaction) {
        let encoded = transaction.encode()
        for cut in 0..<encoded.count {
            let error = #expect(throws: CoordinationError.self) { try Transaction.decode(Array(encoded[..<cut])) }
            guard case .badArguments(let message)? = error else {
                Issue.record("cut \(cut): \(String(describing: error))")
                continue
            }
            #expect(message.hasPrefix("transaction record: truncated: "), "cut \(cut): \(message)")
        }
    }

    @Test(arguments: shapes)
    func trailingBytesAreRejected(_ transaction: Transaction) {
        let encoded = transaction.encode()
        #expect(throws: CoordinationError.badArguments(
            "transaction record: 1 unexpected byte after the end at offset \(encoded.count)"
        )) {
            try Transaction.decode(encoded + [0])
        }
        #expect(throws: CoordinationError.badArguments(
            "transaction record: 3 unexpected bytes after the end at offset \(encoded.count)"
        )) {
            try Transaction.decode(encoded + [1, 2, 3])
        }
    }

    @Test func deleteLayout() {
        let encoded = Transaction.operations([.delete(path: path("/a"), version: 3)], session: 0x0102).encode()
        #expect(encoded == [
            1,  // format
            1,  // kind: operations
            1, 0, 0, 0, 0, 0, 0, 1, 2,  // session present, 0x0102
            0, 0, 0, 1,  // one operation
            2,  // delete
            0, 0, 0, 2, 0x2F, 0x61,  // "/a"
            0, 0, 0, 3,  // version
        ])
    }

    @Test func createLayout() {
        let encoded = Transaction.operations(
            [.create(path: path("/t"), data: [0xAB], mode: .ttl, ttlMs: 300)], session: nil
        ).encode()
        #expect(encoded == [
            1, 1, 0,  // format, operations, no session
            0, 0, 0, 1,
            1,  // create
            0, 0, 0, 2, 0x2F, 0x74,  // "/t"
            0, 0, 0, 1, 0xAB,  // data
            5,  // ZooKeeper's flag for TTL
            1, 0, 0, 0, 0, 0, 0, 0x01, 0x2C,  // ttl 300
        ])
    }

    @Test func sessionLayouts() {
        #expect(Transaction.createSession(id: 7, timeoutMs: 30_000).encode() == [
            1, 2, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0x75, 0x30,
        ])
        #expect(Transaction.closeSession(id: -1).encode() == [1, 3] + [UInt8](repeating: 0xFF, count: 8))
    }

    @Test(arguments: [
        ([], "transaction record: truncated: format needs 1 bytes at offset 0, 0 left"),
        ([2, 3, 0, 0, 0, 0, 0, 0, 0, 1], "transaction record: unknown format 2"),
        ([1, 9], "transaction record: unknown kind 9 at offset 1"),
        ([1, 1, 2], "transaction record: hasSession at offset 2 is 2, not 0 or 1"),
        ([1, 1, 0, 0, 0, 0, 1, 7], "transaction record: unknown operation tag 7 at offset 7"),
        ([1, 1, 0, 0, 0, 0, 1, 4, 0, 0, 0, 2, 0x2F, 0xFF, 0, 0, 0, 0],
            "transaction record: path at offset 8 is not valid UTF-8"),
        ([1, 1, 0, 0, 0, 0, 1, 4, 0, 0, 0, 1, 0x61, 0, 0, 0, 0],
            "transaction record: path at offset 8: invalid path \"a\": path must start with /, not \"a\" at index 0"),
        ([1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0x2F, 0, 0, 0, 0, 9, 0],
            "transaction record: unknown create mode 9 at offset 17"),
        ([1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0x2F, 0, 0, 0, 0, 0, 2],
            "transaction record: hasTTL at offset 18 is 2, not 0 or 1"),
        ([1, 1, 0, 0, 0, 0, 1, 3, 0, 0, 0, 1, 0x2F, 0xFF, 0xFF, 0xFF, 0xFF],
            "transaction record: truncated: data needs 4294967295 bytes at offset 17, 0 left"),
        ([1, 3, 0, 0, 0], "transaction record: truncated: session id needs 8 bytes at offset 2, 3 left"),
    ] as [([UInt8], String)])
    func malformedRecordsAreNamed(_ record: [UInt8], message: String) {
        #expect(throws: CoordinationError.badArguments(message)) { try Transaction.decode(record) }
    }

    @Test func decodesFromTheMiddleOfABuffer() throws {
        let transaction = Transaction.operations([.check(path: path("/x"), version: 2)], session: nil)
        let buffer = [9, 9, 9] + transaction.encode() + [8, 8]
        #expect(try Transaction.decode(buffer[3..<(buffer.count - 2)]) == transaction)
        #expect(throws: CoordinationError.badArguments("transaction record: 2 unexpected bytes after the end at offset 18")) {
            try Transaction.decode(buffer[3...])
        }
    }
}

extension Transaction {
    fileprivate var firstPathIsSequentialPrefix: Bool {
        guard case .operations(let ops, _) = self, let first = ops.first else { return false }
        return first.path.isSequentialPrefix
    }
}
