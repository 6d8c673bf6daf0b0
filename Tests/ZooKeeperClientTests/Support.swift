@testable import ZooKeeperClient

/// Bytes from a hex literal (whitespace ignored).
func hex(_ s: String) -> [UInt8] {
    let digits = Array(s.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// A golden byte vector and the record it must encode from and decode to.
struct Golden: Sendable, CustomStringConvertible {
    let name: String
    let bytes: [UInt8]
    /// Prefix lengths that legitimately decode (ConnectResponse without readOnly).
    let validPrefixes: Set<Int>
    /// The vector lacks an optional trailing readOnly bool: encoding adds it (as 0) and a
    /// trailing byte is read as that field, not refused.
    let lacksOptionalTail: Bool
    let encode: @Sendable () -> [UInt8]
    let decodesToValue: @Sendable ([UInt8]) throws(JuteError) -> Bool

    init<R: JuteRecord>(_ name: String, _ hexBytes: String, _ value: R, validPrefixes: Set<Int> = [], lacksOptionalTail: Bool = false) {
        self.name = name
        self.bytes = hex(hexBytes)
        self.validPrefixes = validPrefixes
        self.lacksOptionalTail = lacksOptionalTail
        self.encode = { value.encoded() }
        self.decodesToValue = { (b: [UInt8]) throws(JuteError) -> Bool in try R.decode(b) == value }
    }
    var description: String { name }
}

/// The Stat used by every vector: stat_struct.pack(0x100000001, 0x100000002, 1700000000000,
/// 1700000000500, 2, 3, 0, 0x0123456789abcdef, 5, 1, 0x100000003).
let sampleStat = Stat(
    czxid: 0x1_0000_0001, mzxid: 0x1_0000_0002, ctime: 1_700_000_000_000, mtime: 1_700_000_000_500,
    version: 2, cversion: 3, aversion: 0, ephemeralOwner: 0x0123_4567_89ab_cdef, dataLength: 5,
    numChildren: 1, pzxid: 0x1_0000_0003)
let statHex = "000000010000000100000001000000020000018bcfe568000000018bcfe569f40000000200000003000000000123456789abcdef00000005000000010000000100000003"
