/// The syntax of a Host field value (RFC 9110 §7.2: `uri-host [ ":" port ]`, with `uri-host`
/// from RFC 3986 §3.2.2). A Host that is not an authority cannot name this server, and one
/// with spaces, `@`, `/` or control characters is how cache-poisoning and routing-confusion
/// attempts look; RFC 9112 §3.2 asks for 400 on an invalid one. Checked byte by byte, with
/// no allocation, as the parser reads the field.
public enum HostSyntax {
    /// Whether `value` (already trimmed of surrounding whitespace) is `uri-host [":" port]`.
    ///
    /// - `uri-host` is a `reg-name` (unreserved, sub-delims and `%XX`; an IPv4 address is
    ///   one), or an `IP-literal` in brackets: an IPv6 address (hex digits, `:` and, for an
    ///   embedded IPv4 address, `.`) or `v<hex>.<text>` (IPvFuture).
    /// - `port` is decimal digits up to 65535; an empty port after `:` is allowed, as RFC 3986
    ///   allows it.
    /// - An empty value is valid: RFC 9110 §7.2 has a client send an empty Host when the
    ///   target has no authority.
    public static func isValid(_ value: UnsafeRawBufferPointer) -> Bool {
        let n = value.count
        guard n > 0, let bytes = value.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
        var i = 0
        if bytes[0] == UInt8(ascii: "[") {
            guard let close = value.firstIndex(of: UInt8(ascii: "]")), isIPLiteral(value, 1, close) else { return false }
            i = close + 1
        } else {
            // Over a pointer, the common byte first: this runs for every request.
            while i < n {
                let b = bytes[i]
                if isRegNameByte(b) {
                    i &+= 1
                } else if b == UInt8(ascii: ":") {
                    break
                } else if b == UInt8(ascii: "%"), i + 2 < n, isHexDigit(bytes[i + 1]), isHexDigit(bytes[i + 2]) {
                    i &+= 3
                } else {
                    return false
                }
            }
        }
        guard i < n else { return true }
        guard bytes[i] == UInt8(ascii: ":") else { return false }
        return isPort(value, i + 1, n)
    }

    /// `[` ... `]` contents: an IPv6 address (loosely: hex digits, colons, dots, with at least
    /// one colon) or IPvFuture (`v` hex+ `.` (unreserved / sub-delims / `:`)+).
    private static func isIPLiteral(_ v: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        if v[start] == UInt8(ascii: "v") || v[start] == UInt8(ascii: "V") {
            var i = start + 1
            while i < end && isHexDigit(v[i]) { i += 1 }
            guard i > start + 1, i < end, v[i] == UInt8(ascii: "."), i + 1 < end else { return false }
            return (i + 1..<end).allSatisfy { isRegNameByte(v[$0]) || v[$0] == UInt8(ascii: ":") }
        }
        var colons = 0
        for i in start..<end {
            let b = v[i]
            if b == UInt8(ascii: ":") {
                colons += 1
            } else if !(isHexDigit(b) || b == UInt8(ascii: ".")) {
                return false
            }
        }
        return colons >= 2 && end - start <= 45
    }

    private static func isPort(_ v: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard end - start <= 5 else { return false }
        var port = 0
        for i in start..<end {
            let digit = v[i] &- 0x30
            guard digit < 10 else { return false }
            // At most five digits: no overflow to check.
            port = port &* 10 &+ Int(digit)
        }
        return port <= 65535
    }

    /// RFC 3986's unreserved (ALPHA DIGIT `-` `.` `_` `~`) or sub-delims (`!$&'()*+,;=`), as
    /// one 128-bit set: every request's Host passes through here, and two shifts cost less than
    /// a dozen comparisons.
    @inline(__always) static func isRegNameByte(_ b: UInt8) -> Bool {
        let low: UInt64 = 0x2bff_7fd2_0000_0000  // ! $ & ' ( ) * + , - . 0-9 ; =
        let high: UInt64 = 0x47ff_fffe_87ff_fffe  // A-Z _ a-z ~
        if b < 64 { return (low >> UInt64(b)) & 1 == 1 }
        if b < 128 { return (high >> UInt64(b &- 64)) & 1 == 1 }
        return false
    }

    @inline(__always) static func isHexDigit(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b)
    }
}

extension HostSyntax {
    /// `isValid` for a value held as a String (an HTTP/2 `host` field).
    public static func isValid(_ value: String) -> Bool {
        var copy = value
        return copy.withUTF8 { isValid(UnsafeRawBufferPointer($0)) }
    }
}
