/// Text compared by UTF-8 bytes. Swift's `String ==` uses canonical equivalence, so two names
/// that ZooKeeper (and a certificate, a token, a JWT) holds distinct could compare equal: a
/// pattern for one would then match the other, and a cache keyed by principal could hand one
/// principal another's rules.
enum Bytewise {
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    static func equal(_ a: String, _ b: StaticString) -> Bool {
        b.withUTF8Buffer { a.utf8.elementsEqual($0) }
    }

    static func hash(_ s: String, into hasher: inout Hasher) {
        // All at once: a byte at a time costs a call into the hasher for each.
        var s = s
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        // Ends the run, so that consecutive strings hashed into one hasher stay distinct.
        hasher.combine(0xFF as UInt8)
    }

    /// `s` as it can be shown in a message: as is when it holds no control character, else as
    /// a JSON string literal, so that a hostile name or path cannot forge lines of a log.
    static func shown(_ s: String) -> String {
        s.unicodeScalars.contains(where: isControl) ? quoted(s) : s
    }

    /// `s` as a JSON string literal, with every control character escaped (C1 and DEL too,
    /// which JSON itself would leave as they are).
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where isControl(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Unicode's control characters (general category Cc): C0, DEL and C1.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
