import HTTPCore
import Testing

@Suite("Parse errors: status and problem type")
struct HTTP1ParseErrorTests {
    @Test(arguments: [
        (HTTP1ParseError.malformedRequestLine, 400, "malformed-request"),
        (.invalidMethod, 400, "malformed-request"),
        (.invalidTarget, 400, "malformed-request"),
        (.invalidVersion, 400, "malformed-request"),
        (.unsupportedVersion, 505, "http-version-not-supported"),
        (.invalidLineEnding, 400, "malformed-request"),
        (.invalidHeaderName, 400, "malformed-request"),
        (.invalidHeaderValue, 400, "malformed-request"),
        (.obsoleteLineFolding, 400, "ambiguous-framing"),
        (.requestLineTooLong, 414, "request-line-too-long"),
        (.headersTooLarge, 431, "header-fields-too-large"),
        (.tooManyHeaders, 431, "header-fields-too-large"),
        (.missingHost, 400, "malformed-request"),
        (.duplicateHost, 400, "malformed-request"),
        (.invalidHost, 400, "bad-host"),
        (.invalidContentLength, 400, "malformed-request"),
        (.duplicateContentLength, 400, "ambiguous-framing"),
        (.contentLengthWithTransferEncoding, 400, "ambiguous-framing"),
        (.transferEncodingInHTTP10, 400, "ambiguous-framing"),
        (.chunkedNotFinal, 400, "ambiguous-framing"),
        (.unsupportedTransferCoding("gzip"), 501, "unsupported-transfer-coding"),
        (.bodyTooLarge(limit: 10), 413, "body-too-large"),
        (.invalidChunkSize, 400, "malformed-request"),
        (.invalidChunkFraming, 400, "malformed-request"),
        (.chunkLineTooLong, 400, "malformed-request"),
        (.trailersTooLarge, 431, "header-fields-too-large"),
        (.unsupportedExpectation("x"), 417, "expectation-failed"),
    ])
    func statusAndProblemType(error: HTTP1ParseError, status: Int, problemType: String) {
        #expect(error.status.code == status)
        #expect(error.problemType == problemType)
        #expect(!error.detail.isEmpty)
    }

    @Test func detailsNameTheOffendingValue() {
        #expect(HTTP1ParseError.bodyTooLarge(limit: 1234).detail.contains("1234"))
        #expect(HTTP1ParseError.unsupportedTransferCoding("br").detail.contains("'br'"))
        #expect(HTTP1ParseError.unsupportedExpectation("x-y").detail.contains("'x-y'"))
    }
}
