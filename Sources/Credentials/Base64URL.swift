import JSON

/// Unpadded base64url (RFC 4648 §5), as JWS (RFC 7515 §2) and JWK (RFC 7517) write binary
/// values. Decoding is strict: no padding, no whitespace, no characters of the standard
/// alphabet, and the unused low bits of the last character must be zero. Each byte string then
/// has exactly one encoding, so a token cannot be re-encoded into another string that verifies
/// (and would miss the cache, or be counted as a different token).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// The unpadded base64url text of `bytes`: the standard encoding (`JSON.Base64`) in the
    /// URL alphabet, without its padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let standard = Base64.encode(Array(bytes)).utf8.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "="): nil
            default: byte
            }
        }
        return String(decoding: standard, as: UTF8.self)
    }

    /// The bytes of `text`, or nil when it is not canonical unpadded base64url.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? { decode(Array(text.utf8)[...]) }

    /// The bytes of the encoded `input`, or nil when it is not canonical unpadded base64url.
    public static func decode(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        // A single character left over carries only 6 bits: no byte ends there.
        guard input.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var n: UInt32 = 0
        var pending = 0
        for c in input {
            let v = values[Int(c)]
            guard v != 0xFF else { return nil }
            n = n << 6 | UInt32(v)
            pending += 1
            if pending == 4 {
                out.append(UInt8(n >> 16 & 0xFF))
                out.append(UInt8(n >> 8 & 0xFF))
                out.append(UInt8(n & 0xFF))
                n = 0
                pending = 0
            }
        }
        switch pending {
        case 2:
            guard n & 0x0F == 0 else { return nil }
            out.append(UInt8(n >> 4 & 0xFF))
        case 3:
            guard n & 0x03 == 0 else { return nil }
            out += [UInt8(n >> 10 & 0xFF), UInt8(n >> 2 & 0xFF)]
        default: break
        }
        return out
    }
}
