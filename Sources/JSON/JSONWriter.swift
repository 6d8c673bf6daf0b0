/// A small streaming JSON writer into bytes: no Foundation, no intermediate strings.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Open containers, and whether each has a member yet (so the next one needs a comma):
    /// bit d - 1 for the container at depth d, as a bit stack because every value consults
    /// it; containers deeper than 64 use `deepCommas`.
    private var depth = 0
    private var commaBits: UInt64 = 0
    private var deepCommas: [Bool] = []

    public init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes an object key known when the program is built; the next value call writes its
    /// value. The name must need no escape (no `"`, `\` or control character): it is copied
    /// as is, without the scan a name made at run time needs (`key(escaping:)`).
    public mutating func key(_ name: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { utf8 in
            assert(utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") },
                   "key(_: StaticString) takes names that need no escape")
            bytes.append(contentsOf: utf8)
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        setHasMember(false)
    }

    /// Writes an object key made at run time, escaped as needed.
    public mutating func key(escaping name: String) {
        separator()
        Self.appendEscaped(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        setHasMember(false)
    }

    public mutating func string(_ value: String) { separator(); Self.appendEscaped(value, to: &bytes) }
    /// Writes `utf8` as a string; the caller has checked that it is valid UTF-8.
    public mutating func string(utf8: [UInt8]) {
        separator()
        utf8.withUnsafeBufferPointer { Self.appendEscaped(utf8: $0, to: &bytes) }
    }
    public mutating func number(_ value: Int) { number(Int64(value)) }
    public mutating func number(_ value: Int64) { separator(); Self.appendDecimal(value, to: &bytes) }
    public mutating func bool(_ value: Bool) { separator(); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func null() { separator(); bytes.append(contentsOf: "null".utf8) }
    /// Writes already-encoded JSON.
    public mutating func raw(_ json: String) { separator(); bytes.append(contentsOf: json.utf8) }
    /// Writes already-encoded JSON from bytes (a value built in a buffer of the caller's).
    public mutating func raw(bytes json: UnsafeBufferPointer<UInt8>) { separator(); bytes.append(contentsOf: json) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func open(_ bracket: UInt8) {
        separator()
        bytes.append(bracket)
        depth += 1
        if depth > 64 { deepCommas.append(false) } else { setHasMember(false) }
    }

    private mutating func close(_ bracket: UInt8) {
        if depth > 64 { deepCommas.removeLast() }
        depth -= 1
        bytes.append(bracket)
    }

    @inline(__always)
    private mutating func separator() {
        guard depth > 0 else { return }
        let had = depth > 64 ? deepCommas[deepCommas.count - 1] : commaBits & (1 << UInt64(depth - 1)) != 0
        if had { bytes.append(UInt8(ascii: ",")) } else { setHasMember(true) }
    }

    @inline(__always)
    private mutating func setHasMember(_ value: Bool) {
        guard depth > 0 else { return }
        if depth > 64 {
            deepCommas[deepCommas.count - 1] = value
        } else if value {
            commaBits |= 1 << UInt64(depth - 1)
        } else {
            commaBits &= ~(1 << UInt64(depth - 1))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends `value` as a JSON string literal (RFC 8259 §7).
    ///
    /// Runs without an escape are copied whole: node data, paths and keys rarely have one, and
    /// a byte-at-a-time append cost more than the rest of a node's representation.
    public static func appendEscaped(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { appendEscaped(utf8: $0, to: &out) }
    }

    /// Appends valid UTF-8 bytes as a JSON string literal.
    public static func appendEscaped(utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var start = 0
        for i in 0..<utf8.count {
            let b = utf8[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            if start < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i])) }
            start = i + 1
            out.append(0x5C)
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                out.append(UInt8(ascii: "u")); out.append(0x30); out.append(0x30)
                out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
            }
        }
        if start < utf8.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `value` in decimal without making a String first.
    public static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        // The magnitude as UInt64, so Int64.min needs no special case.
        var magnitude = value.magnitude
        if value < 0 { out.append(UInt8(ascii: "-")) }
        if magnitude < 10 {
            out.append(UInt8(truncatingIfNeeded: magnitude) &+ 0x30)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 20
            while magnitude > 0 {
                n -= 1
                digits[n] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                magnitude /= 10
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[n..<20]))
        }
    }

    /// `value` as a JSON string literal.
    public static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        appendEscaped(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
