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
        var i = 0
        let n = value.count
        if n > 0 && value[0] == UInt8(ascii: "[") {
            guard let close = value.firstIndex(of: UInt8(ascii: "]")), isIPLiteral(value, 1, close) else { return false }
            i = close + 1
        } else {
            while i < n && value[i] != UInt8(ascii: ":") {
                let b = value[i]
                if b == UInt8(ascii: "%") {
                    guard i + 2 < n, isHexDigit(value[i + 1]), isHexDigit(value[i + 2]) else { return false }
                    i += 3
                    continue
                }
                guard isUnreserved(b) || isSubDelim(b) else { return false }
                i += 1
            }
        }
        guard i < n else { return true }
        guard value[i] == UInt8(ascii: ":") else { return false }
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
            return (i + 1..<end).allSatisfy { isUnreserved(v[$0]) || isSubDelim(v[$0]) || v[$0] == UInt8(ascii: ":") }
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
            guard (0x30...0x39).contains(v[i]) else { return false }
            port = port * 10 + Int(v[i] - 0x30)
        }
        return port <= 65535
    }

    @inline(__always) static func isHexDigit(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b)
    }

    /// ALPHA / DIGIT / `-` / `.` / `_` / `~`
    @inline(__always) static func isUnreserved(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
    }

    /// `!` `$` `&` `'` `(` `)` `*` `+` `,` `;` `=`
    @inline(__always) static func isSubDelim(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="):
            true
        default: false
        }
    }
}

extension HostSyntax {
    /// `isValid` for a value held as a String (an HTTP/2 `host` field).
    public static func isValid(_ value: String) -> Bool {
        var copy = value
        return copy.withUTF8 { isValid(UnsafeRawBufferPointer($0)) }
    }
}
