/// RFC 3986 percent-decoding for paths and query strings.
public enum PercentDecoding {
    /// Decodes a path segment, or a run of segments (the raw text's own slashes stay). Returns
    /// nil for a malformed escape, invalid UTF-8, a NUL, or an encoded `/`, which would make a
    /// segment boundary ambiguous.
    public static func decodePath(_ raw: Substring) -> String? {
        var scan = raw
        if !scan.withUTF8({ $0.contains(UInt8(ascii: "%")) }) { return String(raw) }
        guard let bytes = decode(raw.utf8, plusIsSpace: false), !bytes.contains(0), !containsEncodedSlash(raw)
        else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// As `decodePath(_: Substring)`, over bytes: no String is built unless needed.
    public static func decodePath(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        guard raw.contains(UInt8(ascii: "%")) else { return String(decoding: raw, as: UTF8.self) }
        let text = String(decoding: raw, as: UTF8.self)
        return decodePath(Substring(text))
    }

    /// Decodes a query component: `+` is a space; any byte may be encoded.
    public static func decodeQueryComponent(_ raw: Substring) -> String? {
        if !raw.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) { return String(raw) }
        guard let bytes = decode(raw.utf8, plusIsSpace: true) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func containsEncodedSlash(_ raw: Substring) -> Bool {
        raw.lowercased().contains("%2f")
    }

    static func decode(_ raw: Substring.UTF8View, plusIsSpace: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            let b = raw[i]
            if b == UInt8(ascii: "%") {
                let h = raw.index(after: i)
                guard h < raw.endIndex, raw.index(after: h) < raw.endIndex,
                    let hi = hex(raw[h]), let lo = hex(raw[raw.index(after: h)])
                else { return nil }
                out.append(hi << 4 | lo)
                i = raw.index(h, offsetBy: 2)
            } else {
                out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i = raw.index(after: i)
            }
        }
        return out
    }

    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}
