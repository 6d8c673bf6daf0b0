extension ZNodePath {
    /// Checks `s` and returns whether it is valid only as a sequential prefix.
    ///
    /// The order of the checks follows `PathUtils.validatePath` (leading `/`, trailing `/`, then
    /// a left-to-right scan), so the first problem reported is the one ZooKeeper would report.
    static func validate(_ s: String, sequential: Bool) throws(CoordinationError) -> Bool {
        func failure(_ reason: String) -> CoordinationError { .invalidPath(s, reason: reason) }

        guard let first = s.unicodeScalars.first else { throw failure("path is empty") }
        let length = s.utf8.count
        guard length <= maxLength else {
            throw failure("path is \(length) bytes, over the limit of \(maxLength)")
        }
        guard first == "/" else {
            throw failure("path must start with /, not \(Self.describe(first)) at index 0")
        }
        if length == 1 { return false }
        if !sequential && s.utf8.last == UInt8(ascii: "/") {
            throw failure("path must not end with /")
        }

        if let result = try validateASCII(s, sequential: sequential) { return result }
        var index = 0
        var segmentStart = 1
        var segmentLength = 0
        var segmentDots = 0
        for scalar in s.unicodeScalars {
            defer { index += 1 }
            if index == 0 { continue }
            if scalar == "/" {
                if let reason = Self.segmentProblem(segmentLength, segmentDots, at: segmentStart) {
                    throw failure(reason)
                }
                segmentStart = index + 1
                segmentLength = 0
                segmentDots = 0
                continue
            }
            if let reason = Self.characterProblem(scalar, at: index) { throw failure(reason) }
            segmentLength += 1
            if scalar == "." { segmentDots += 1 }
        }
        // A sequential prefix's last segment is completed by the sequence number, so it may be
        // empty, `.` or `..` (ZooKeeper validates `path + "1"`).
        if let reason = Self.segmentProblem(segmentLength, segmentDots, at: segmentStart) {
            guard sequential else { throw failure(reason) }
            return true
        }
        return false
    }

    /// The same rules over bytes, for the common all-printable-ASCII path (there a byte index
    /// is a scalar index, so messages are identical); nil when a byte is outside that range and
    /// the scalar walk must decide.
    private static func validateASCII(_ s: String, sequential: Bool) throws(CoordinationError) -> Bool? {
        var text = s
        let outcome: (problem: String?, prefix: Bool)? = text.withUTF8 { bytes in
            var segmentStart = 1
            var segmentLength = 0
            var segmentDots = 0
            for i in 1..<bytes.count {
                let b = bytes[i]
                guard b > 0x20 && b < 0x7F else { return nil }
                if b == UInt8(ascii: "/") {
                    if let reason = segmentProblem(segmentLength, segmentDots, at: segmentStart) { return (reason, false) }
                    segmentStart = i + 1
                    segmentLength = 0
                    segmentDots = 0
                } else {
                    segmentLength += 1
                    if b == UInt8(ascii: ".") { segmentDots += 1 }
                }
            }
            if let reason = segmentProblem(segmentLength, segmentDots, at: segmentStart) {
                return sequential ? (nil, true) : (reason, false)
            }
            return (nil, false)
        }
        guard let outcome else { return nil }
        if let problem = outcome.problem { throw .invalidPath(s, reason: problem) }
        return outcome.prefix
    }

    private static func segmentProblem(_ length: Int, _ dots: Int, at index: Int) -> String? {
        if length == 0 { return "empty segment at index \(index)" }
        if length == dots && length <= 2 {
            return "relative segment \"\(String(repeating: ".", count: dots))\" at index \(index)"
        }
        return nil
    }

    private static func characterProblem(_ scalar: Unicode.Scalar, at index: Int) -> String? {
        switch scalar.value {
        case 0:
            "NUL character (U+0000) at index \(index)"
        case 0x01...0x1F, 0x7F...0x9F, 0xD800...0xF8FF, 0xFFF0...0xFFFF:
            "invalid character \(hex(scalar)) at index \(index)"
        case 0x10000...:
            "character \(hex(scalar)) at index \(index) is outside the Basic Multilingual Plane "
                + "(ZooKeeper stores it as CESU-8, which does not round-trip)"
        default:
            nil
        }
    }

    /// A name for a scalar in an error message: printable ones quoted, others as `U+XXXX`.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        if characterProblem(scalar, at: 0) == nil && scalar.value > 0x20 {
            return "\"\(Character(scalar))\""
        }
        return hex(scalar)
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
