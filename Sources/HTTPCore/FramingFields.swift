/// The header fields that decide framing and connection handling, collected while parsing.
struct FramingFields {
    var contentLength: Int?
    var contentLengthCount = 0
    var transferCodings: [String] = []
    var sawTransferEncoding = false
    var hostCount = 0
    var connectionClose = false
    var connectionKeepAlive = false
    var expectContinue = false
    var unsupportedExpectation: String?

    mutating func observe(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> HTTP1ParseError? {
        switch name.count {
        case 4 where Self.equalsLowercase(name, "host"):
            hostCount += 1
            if !HostSyntax.isValid(value) { return .invalidHost }
        case 6 where Self.equalsLowercase(name, "expect"):
            if Self.equalsLowercase(value, "100-continue") {
                expectContinue = true
            } else {
                unsupportedExpectation = makeString(value)
            }
        case 10 where Self.equalsLowercase(name, "connection"):
            Self.forEachListElement(value) { token in
                if Self.equalsLowercase(token, "close") { connectionClose = true }
                if Self.equalsLowercase(token, "keep-alive") { connectionKeepAlive = true }
            }
        case 14 where Self.equalsLowercase(name, "content-length"):
            contentLengthCount += 1
            guard contentLengthCount == 1 else { return .duplicateContentLength }
            guard !value.isEmpty, value.count <= 18, value.allSatisfy({ (0x30...0x39).contains($0) }) else {
                return .invalidContentLength
            }
            contentLength = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        case 17 where Self.equalsLowercase(name, "transfer-encoding"):
            sawTransferEncoding = true
            Self.forEachListElement(value) { token in
                transferCodings.append(makeString(token).lowercased())
            }
        default:
            break
        }
        return nil
    }

    /// Decides the body framing (RFC 9112 §6.3), refusing every ambiguous shape.
    func framing(version: HTTPVersion, limits: HTTP1RequestParser.Limits) -> Result<HTTPBodyFraming, HTTP1ParseError> {
        if version == .http1_1 && hostCount == 0 { return .failure(.missingHost) }
        if hostCount > 1 { return .failure(.duplicateHost) }
        if sawTransferEncoding {
            if version == .http1_0 { return .failure(.transferEncodingInHTTP10) }
            if contentLength != nil { return .failure(.contentLengthWithTransferEncoding) }
            let chunkedCount = transferCodings.filter { $0 == "chunked" }.count
            if let other = transferCodings.first(where: { $0 != "chunked" }) {
                // chunked present but not last is a framing error; anything else is unknown.
                if chunkedCount > 0 && transferCodings.last != "chunked" { return .failure(.chunkedNotFinal) }
                return .failure(.unsupportedTransferCoding(other))
            }
            guard chunkedCount == 1 else { return .failure(.chunkedNotFinal) }
            if let value = unsupportedExpectation { return .failure(.unsupportedExpectation(value)) }
            return .success(.chunked)
        }
        if let value = unsupportedExpectation, version == .http1_1 { return .failure(.unsupportedExpectation(value)) }
        if let length = contentLength {
            if length > limits.maxBody { return .failure(.bodyTooLarge(limit: limits.maxBody)) }
            return .success(.length(length))
        }
        return .success(.none)
    }

    static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        let p = lower.utf8Start
        for i in 0..<bytes.count where asciiLowercase(bytes[i]) != p[i] { return false }
        return true
    }

    /// Calls `body` with each non-empty element of a comma-separated list, trimmed of OWS.
    static func forEachListElement(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != UInt8(ascii: ",") { end += 1 }
            var s = start
            var e = end
            while s < e && (value[s] == SP || value[s] == HTAB) { s += 1 }
            while e > s && (value[e - 1] == SP || value[e - 1] == HTAB) { e -= 1 }
            if e > s { body(UnsafeRawBufferPointer(rebasing: value[s..<e])) }
            start = end + 1
        }
    }
}
