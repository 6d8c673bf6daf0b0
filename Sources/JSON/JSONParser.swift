/// A strict RFC 8259 parser: no comments, no trailing commas, no lone surrogates, no control
/// characters in strings, no duplicate member names; and limits (`Limits`) on nesting, members,
/// values and string length, so that hostile input can neither exhaust the stack nor build a
/// tree far larger than its bytes.
///
/// Linear in its input: every byte is looked at a bounded number of times, duplicate names are
/// found by a scan in small objects and a hash set in larger ones, and strings without escapes
/// are validated and copied in one pass.
public struct JSONParser {
    /// What a document may hold. Exceeding a limit throws a `JSONError` of kind
    /// `.limitExceeded`, naming the limit and its value.
    ///
    /// The defaults accept every body the gateway's API takes and every value it stores as
    /// JSON (service payloads, configuration layers), with room to spare:
    /// - `maxDepth` 64: the API's bodies nest 3 deep, payloads and layers are usually a few
    ///   levels; the parser recurses once per level, so this also bounds its stack.
    /// - `maxMembers` 10,000: API objects have at most 6 members; a configuration layer or
    ///   payload with more than 10,000 keys in one object is not configuration.
    /// - `maxElements` 100,000: a transaction of the most operations (1,000) has about 8,000
    ///   values; this bounds the parsed tree (each value takes tens of bytes) to a few MB
    ///   whatever the body's size.
    /// - `maxStringBytes` 4 MiB: a node's data travels as one string, at most 1,000,000
    ///   bytes, 1,333,336 characters in base64.
    public struct Limits: Sendable, Equatable {
        /// Deepest nesting of arrays and objects (the outermost one is depth 1).
        public var maxDepth: Int
        /// Most members of one object.
        public var maxMembers: Int
        /// Most values in the document: scalars, arrays and objects, the outermost included
        /// (member names are not values).
        public var maxElements: Int
        /// Longest string (a member name or a value) in UTF-8 bytes, after unescaping.
        public var maxStringBytes: Int

        public init(maxDepth: Int = 64, maxMembers: Int = 10_000, maxElements: Int = 100_000,
                    maxStringBytes: Int = 4 << 20) {
            self.maxDepth = maxDepth
            self.maxMembers = maxMembers
            self.maxElements = maxElements
            self.maxStringBytes = maxStringBytes
        }

        /// The defaults above.
        public static let `default` = Limits()

        /// The value of `limit`.
        public subscript(limit: JSONLimit) -> Int {
            switch limit {
            case .depth: maxDepth
            case .members: maxMembers
            case .elements: maxElements
            case .stringBytes: maxStringBytes
            }
        }
    }

    /// Deepest nesting of arrays and objects accepted by default.
    public static let maxDepth = Limits.default.maxDepth

    /// Objects with fewer members than this look for a duplicate name by scanning the names
    /// read so far (no allocation); larger ones keep a set of the names.
    static let scanMembers = 16

    /// Parses one JSON document; whitespace may surround it, nothing else.
    ///
    /// - Throws: `JSONError` naming what is wrong and where: `.syntax`, or `.limitExceeded`
    ///   naming the limit of `limits` that the document exceeds.
    public static func parse(_ bytes: [UInt8], limits: Limits = .default) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) -> JSONValue in
            try parse(buffer, limits: limits)
        }
    }

    /// Parses one JSON document from memory the caller keeps alive for the call.
    ///
    /// - Throws: `JSONError`.
    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>, limits: Limits = .default) throws(JSONError) -> JSONValue {
        var parser = JSONParser(buffer, limits: limits)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.i == buffer.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    /// Parses a JSON document from text.
    ///
    /// - Throws: `JSONError`.
    public static func parse(_ text: String, limits: Limits = .default) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    let b: UnsafeBufferPointer<UInt8>
    let limits: Limits
    var i = 0
    /// Values begun so far, for `maxElements`.
    var elements = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, limits: Limits) {
        b = bytes
        self.limits = limits
    }

    func error(_ reason: String) -> JSONError { JSONError(offset: i, reason: reason) }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) throws(JSONError) -> JSONValue {
        guard i < b.count else { throw error("unexpected end of input") }
        elements += 1
        if elements > limits.maxElements { throw .limitExceeded(.elements, max: limits.maxElements, offset: i) }
        switch b[i] {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count, UnsafeBufferPointer(rebasing: b[i..<(i + n)]).elementsEqual(
            UnsafeBufferPointer(start: word.utf8Start, count: n))
        else { throw error("invalid literal") }
        i += n
    }

    mutating func object(depth: Int) throws(JSONError) -> JSONObject {
        guard depth <= limits.maxDepth else { throw .limitExceeded(.depth, max: limits.maxDepth, offset: i) }
        i += 1
        skipWhitespace()
        if i < b.count && b[i] == UInt8(ascii: "}") {
            i += 1
            return JSONObject()
        }
        var members: [(name: String, value: JSONValue)] = []
        // Filled only once the object reaches `scanMembers` members.
        var names = Set<String>()
        while true {
            skipWhitespace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
            let start = i
            if members.count == limits.maxMembers {
                throw .limitExceeded(.members, max: limits.maxMembers, offset: start)
            }
            let name = try string()
            let duplicate: Bool
            if members.count < Self.scanMembers {
                duplicate = members.contains { $0.name == name }
            } else {
                if names.isEmpty {
                    names.reserveCapacity(2 * Self.scanMembers)
                    for member in members { names.insert(member.name) }
                }
                duplicate = !names.insert(name).inserted
            }
            if duplicate { throw JSONError(offset: start, reason: "duplicate member name \"\(name)\"") }
            skipWhitespace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
            i += 1
            skipWhitespace()
            members.append((name, try value(depth: depth)))
            skipWhitespace()
            guard i < b.count else { throw error("unexpected end of input in an object") }
            if b[i] == UInt8(ascii: ",") {
                i += 1
            } else if b[i] == UInt8(ascii: "}") {
                i += 1
                return JSONObject(uniqueMembers: members)
            } else {
                throw error("expected ',' or '}' in an object")
            }
        }
    }

    mutating func array(depth: Int) throws(JSONError) -> [JSONValue] {
        guard depth <= limits.maxDepth else { throw .limitExceeded(.depth, max: limits.maxDepth, offset: i) }
        i += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if i < b.count && b[i] == UInt8(ascii: "]") {
            i += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            guard i < b.count else { throw error("unexpected end of input in an array") }
            if b[i] == UInt8(ascii: ",") {
                i += 1
            } else if b[i] == UInt8(ascii: "]") {
                i += 1
                return elements
            } else {
                throw error("expected ',' or ']' in an array")
            }
        }
    }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    mutating func digits() -> Int {
        let s = i
        while i < b.count, Self.isDigit(b[i]) { i += 1 }
        return i - s
    }

    mutating func number() throws(JSONError) -> String {
        let start = i
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, Self.isDigit(b[i]) else { throw error("a number needs digits") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if i < b.count, Self.isDigit(b[i]) { throw error("a number must not have leading zeros") }
        } else {
            _ = digits()
        }
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw error("a fraction needs digits") }
        }
        if i < b.count && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            i += 1
            if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            guard digits() > 0 else { throw error("an exponent needs digits") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    }

    /// A string from its opening quote (at `i`) to past its closing one. The common case, no
    /// escape, is validated and copied straight from the input; escapes go through a buffer.
    mutating func string() throws(JSONError) -> String {
        let open = i
        i += 1
        let start = i
        // The bytes' high bits: ASCII text needs no UTF-8 validation.
        var high: UInt8 = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                guard i - start <= limits.maxStringBytes else {
                    throw .limitExceeded(.stringBytes, max: limits.maxStringBytes, offset: open)
                }
                let text = Self.text(UnsafeBufferPointer(rebasing: b[start..<i]), ascii: high & 0x80 == 0)
                i += 1
                guard let text else { throw error("a string is not valid UTF-8") }
                return text
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            high |= c
            i += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(i - start + 16)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
        while true {
            guard i < b.count else { throw error("unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                break
            }
            if c < 0x20 { throw error("control character in a string") }
            if c != UInt8(ascii: "\\") {
                let run = i
                i += 1
                while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<i]))
                continue
            }
            i += 1
            guard i < b.count else { throw error("unterminated escape") }
            switch b[i] {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 2 < b.count, b[i + 1] == UInt8(ascii: "\\"), b[i + 2] == UInt8(ascii: "u") else {
                        throw error("a high surrogate must be followed by a low one")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("lone low surrogate")
                }
                Self.appendUTF8(scalar, to: &out)
            default:
                throw error("invalid escape")
            }
            i += 1
        }
        guard out.count <= limits.maxStringBytes else {
            throw .limitExceeded(.stringBytes, max: limits.maxStringBytes, offset: open)
        }
        guard let text = out.withUnsafeBufferPointer({ Self.text($0, ascii: false) }) else {
            throw error("a string is not valid UTF-8")
        }
        return text
    }

    /// The string of UTF-8 bytes, nil when they are not valid UTF-8. `ascii` says the caller
    /// has seen every byte below 0x80, so there is nothing to validate.
    @inline(__always)
    static func text(_ utf8: UnsafeBufferPointer<UInt8>, ascii: Bool) -> String? {
        if ascii { return String(decoding: utf8, as: UTF8.self) }
        return String(validating: utf8, as: UTF8.self)
    }

    /// Appends a scalar (not a surrogate) as UTF-8.
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            out.append(UInt8(scalar))
        case ..<0x800:
            out.append(0xC0 | UInt8(scalar >> 6))
            out.append(0x80 | UInt8(scalar & 0x3F))
        case ..<0x10000:
            out.append(0xE0 | UInt8(scalar >> 12))
            out.append(0x80 | UInt8(scalar >> 6 & 0x3F))
            out.append(0x80 | UInt8(scalar & 0x3F))
        default:
            out.append(0xF0 | UInt8(scalar >> 18))
            out.append(0x80 | UInt8(scalar >> 12 & 0x3F))
            out.append(0x80 | UInt8(scalar >> 6 & 0x3F))
            out.append(0x80 | UInt8(scalar & 0x3F))
        }
    }

    /// Reads the 4 hex digits after `\u`, leaving `i` on the last one.
    mutating func hex4() throws(JSONError) -> UInt32 {
        guard i + 4 < b.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for k in 1...4 {
            let c = b[i + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw JSONError(offset: i + k, reason: "invalid hex digit in \\u escape")
            }
            v = v << 4 | d
        }
        i += 4
        return v
    }
}
