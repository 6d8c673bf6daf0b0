/// Why a request could not be parsed. Each case maps to one status and one stable problem type;
/// after any of them the connection cannot be resynchronised and must close.
public enum HTTP1ParseError: Error, Equatable, Sendable {
    case malformedRequestLine
    case invalidMethod
    case invalidTarget
    case invalidVersion
    case unsupportedVersion
    case invalidLineEnding
    case invalidHeaderName
    case invalidHeaderValue
    case obsoleteLineFolding
    case requestLineTooLong
    case headersTooLarge
    case tooManyHeaders
    case missingHost
    case duplicateHost
    /// A Host value that is not `host[:port]` (RFC 9110 §7.2, RFC 3986 §3.2.2).
    case invalidHost
    case invalidContentLength
    case duplicateContentLength
    case contentLengthWithTransferEncoding
    case transferEncodingInHTTP10
    case chunkedNotFinal
    case unsupportedTransferCoding(String)
    case bodyTooLarge(limit: Int)
    case invalidChunkSize
    case invalidChunkFraming
    case chunkLineTooLong
    case trailersTooLarge
    case unsupportedExpectation(String)

    /// The response status for this error.
    public var status: HTTPStatus {
        switch self {
        case .unsupportedVersion: .httpVersionNotSupported
        case .requestLineTooLong: .uriTooLong
        case .headersTooLarge, .tooManyHeaders, .trailersTooLarge: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedTransferCoding: .notImplemented
        case .unsupportedExpectation: .expectationFailed
        default: .badRequest
        }
    }

    /// A stable slug for the problem type URI.
    public var problemType: String {
        switch self {
        case .unsupportedVersion: "http-version-not-supported"
        case .requestLineTooLong: "request-line-too-long"
        case .headersTooLarge, .tooManyHeaders, .trailersTooLarge: "header-fields-too-large"
        case .bodyTooLarge: "body-too-large"
        case .unsupportedTransferCoding: "unsupported-transfer-coding"
        case .unsupportedExpectation: "expectation-failed"
        case .invalidHost: "bad-host"
        case .contentLengthWithTransferEncoding, .duplicateContentLength, .transferEncodingInHTTP10,
            .chunkedNotFinal, .obsoleteLineFolding:
            "ambiguous-framing"
        default: "malformed-request"
        }
    }

    /// A sentence for the problem's `detail`.
    public var detail: String {
        switch self {
        case .malformedRequestLine: "The request line is not 'METHOD target HTTP/x.y'."
        case .invalidMethod: "The method is not a valid token."
        case .invalidTarget: "The request target contains characters that are not allowed."
        case .invalidVersion: "The protocol version is not of the form HTTP/x.y."
        case .unsupportedVersion: "Only HTTP/1.0 and HTTP/1.1 are served on this connection."
        case .invalidLineEnding: "Lines must end with CRLF; a bare CR or LF was found."
        case .invalidHeaderName: "A header name is not a valid token, or is followed by whitespace."
        case .invalidHeaderValue: "A header value contains a control character."
        case .obsoleteLineFolding: "Obsolete line folding (a header line starting with whitespace) is refused."
        case .requestLineTooLong: "The request line exceeds the limit."
        case .headersTooLarge: "The header section exceeds the limit."
        case .tooManyHeaders: "There are more header fields than the limit."
        case .missingHost: "HTTP/1.1 requests need a Host header."
        case .duplicateHost: "There is more than one Host header."
        case .invalidHost: "The Host header is not host[:port]: a name, an IPv4 address or a bracketed IPv6 address, with no spaces, '@', '/' or control characters."
        case .invalidContentLength: "Content-Length is not a single non-negative decimal number."
        case .duplicateContentLength: "Content-Length appears more than once."
        case .contentLengthWithTransferEncoding: "Content-Length and Transfer-Encoding together are refused."
        case .transferEncodingInHTTP10: "Transfer-Encoding is not allowed in an HTTP/1.0 request."
        case .chunkedNotFinal: "chunked must be the last transfer coding, and appear once."
        case .unsupportedTransferCoding(let coding): "The transfer coding '\(coding)' is not supported; only chunked is."
        case .bodyTooLarge(let limit): "The body exceeds the limit of \(limit) bytes."
        case .invalidChunkSize: "A chunk size is not a hexadecimal number, or is too large."
        case .invalidChunkFraming: "The chunked body is not framed correctly."
        case .chunkLineTooLong: "A chunk size line (with extensions) exceeds the limit."
        case .trailersTooLarge: "The trailer section exceeds the limit."
        case .unsupportedExpectation(let value): "The expectation '\(value)' is not supported; only 100-continue is."
        }
    }
}
