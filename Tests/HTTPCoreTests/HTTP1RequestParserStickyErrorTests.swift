import HTTPCore
import Testing

/// After an error the connection cannot be resynchronised, so nothing may parse any more.
@Suite("Parser: errors are final")
struct HTTP1RequestParserStickyErrorTests {
    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HTTP1ParseError.duplicateHost),
        ("GET / HTTP/2.0\r\n\r\n", .unsupportedVersion),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz", .invalidChunkSize),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n", .bodyTooLarge(limit: 1 << 20)),
        ("GET /" + String(repeating: "x", count: 9000), .requestLineTooLong),
    ])
    func everyLaterCallReturnsTheSameErrorAndConsumesNothing(request: String, error: HTTP1ParseError) {
        var parser = HTTP1RequestParser()
        var pending = Array(request.utf8)
        // Play the caller until the error, then keep calling with all kinds of input.
        var first: HTTP1ParseError?
        for _ in 0..<10 where first == nil {
            let step = pending.withUnsafeBytes { parser.parse($0) }
            pending.removeFirst(step.consumed)
            if case .error(let e) = step.event { first = e }
        }
        #expect(first == error)
        let later: [[UInt8]] = [pending, [], Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8), Array("0\r\n\r\n".utf8)]
        for input in later {
            let step = input.withUnsafeBytes { parser.parse($0) }
            #expect(step.consumed == 0)
            #expect(step.event == .error(error))
        }
        #expect(!parser.isIdle)
        #expect(!parser.isReadingBody)
    }
}
