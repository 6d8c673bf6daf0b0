import HTTPCore
import Testing

/// The Host value decides nothing about routing here, but a proxy or cache in front may key on
/// it: a value that is not `host[:port]` is refused with 400 `bad-host` (RFC 9112 §3.2).
@Suite("Host field syntax")
struct HostSyntaxTests {
    /// The decision table: each value, and whether it is a valid Host.
    static let table: [(String, Bool)] = [
        ("localhost", true),
        ("zk.example", true),
        ("zk.example:8080", true),
        ("ZK-1.Example_net~", true),
        ("127.0.0.1", true),
        ("127.0.0.1:80", true),
        ("[::1]", true),
        ("[::1]:8443", true),
        ("[2001:db8::7]", true),
        ("[::ffff:192.0.2.1]:80", true),
        ("[v1.fe80::a+en1]", true),
        ("%41bc", true),
        ("a!$&'()*+,;=b", true),
        ("h:", true),
        ("h:65535", true),
        ("", true),
        ("a b", false),
        ("a\tb", false),
        ("user@host", false),
        ("host/path", false),
        ("host?q", false),
        ("host#f", false),
        ("host\\x", false),
        ("ho\"st", false),
        ("<host>", false),
        ("host:port", false),
        ("host:80:80", false),
        ("host:65536", false),
        ("host:123456", false),
        ("host:-1", false),
        ("%4", false),
        ("%zz", false),
        ("[::1", false),
        ("::1", false),
        ("[]", false),
        ("[::1]x", false),
        ("[::1]:x", false),
        ("[::g]", false),
        ("[1.2.3.4]", false),
        ("[v.x]", false),
        ("[v1.]", false),
        ("a\u{7F}b", false),
        ("caf\u{E9}", false),
    ]

    @Test(arguments: table)
    func decisionTable(value: String, valid: Bool) {
        #expect(HostSyntax.isValid(value) == valid, "\(value.debugDescription)")
    }

    /// Through the parser, fed one byte at a time: a valid value gives the head (with the
    /// value as sent), an invalid one the `invalidHost` error.
    @Test(arguments: table.filter { !$0.0.contains("\t") && !$0.0.contains("\u{7F}") })
    func parserFedByteByByte(value: String, valid: Bool) {
        let request = Array("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n".utf8)
        let records = ParserDriver.records(request.map { [$0] })
        if valid {
            guard case .head(let head)? = records.first else {
                Issue.record("\(value.debugDescription): \(records)")
                return
            }
            #expect(head.headers == ["Host: \(value)"])
        } else {
            #expect(records.last == .error(.invalidHost), "\(value.debugDescription): \(records)")
        }
    }

    @Test func controlCharactersAreRefusedBeforeTheHostCheck() {
        #expect(ParserDriver.error("GET / HTTP/1.1\r\nHost: a\u{1}b\r\n\r\n") == .invalidHeaderValue)
    }

    @Test func surroundingWhitespaceIsNotPartOfTheValue() {
        #expect(ParserDriver.heads("GET / HTTP/1.1\r\nHost: \t zk.example:80 \t\r\n\r\n").first?.headers
            == ["Host: zk.example:80"])
        #expect(ParserDriver.error("GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n") == .invalidHost)
    }

    @Test func anInvalidHostIsRefusedInHTTP10TooAndAMissingOneOnlyIn11() {
        #expect(ParserDriver.error("GET / HTTP/1.0\r\nHost: a b\r\n\r\n") == .invalidHost)
        #expect(ParserDriver.error("GET / HTTP/1.0\r\n\r\n") == nil)
        #expect(ParserDriver.error("GET / HTTP/1.1\r\n\r\n") == .missingHost)
        #expect(ParserDriver.error("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n") == .duplicateHost)
    }

    @Test func theProblemIsA400BadHost() {
        #expect(HTTP1ParseError.invalidHost.status.code == 400)
        #expect(HTTP1ParseError.invalidHost.problemType == "bad-host")
    }

    /// Every byte as a one-byte host: exactly RFC 3986's unreserved and sub-delims pass (the
    /// check is a bit set; this is its decision table). `:` alone is an empty name with an
    /// empty port, which is valid; `%` and `[` start longer forms and fail alone.
    @Test func everyByteAsAOneByteHost() {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=".utf8)
        for b in UInt8.min...UInt8.max {
            let valid = [b].withUnsafeBytes { HostSyntax.isValid($0) }
            #expect(valid == (allowed.contains(b) || b == UInt8(ascii: ":")), "byte \(b)")
        }
    }
}

