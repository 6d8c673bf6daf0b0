@testable import GatewayAPI
import Testing

/// The byte-level header readers of the node routes: what they accept, trim and refuse.
@Suite struct RequestHeaderParsingTests {
    @Test(arguments: [
        ("*", true, [String]()),
        ("  *\t", true, []),
        (#""42""#, false, [#""42""#]),
        (#""1.2""#, false, [#""1.2""#]),
        (" \"1\" ,\"2.3\",\t\"4\" ", false, [#""1""#, #""2.3""#, #""4""#]),
        (#""9223372036854775807.1234567890123456789""#, false, [#""9223372036854775807.1234567890123456789""#]),
        // Empty list elements are ignored (RFC 9110 §5.6.1.2).
        (#""1",, "2","#, false, [#""1""#, #""2""#]),
        (#", "3""#, false, [#""3""#]),
    ])
    func accepted(value: String, wildcard: Bool, tags: [String]) throws {
        let parsed = try ETagList.parse(value, header: "If-Match")
        #expect(parsed.wildcard == wildcard)
        #expect(parsed.tags == tags)
    }

    @Test(arguments: [
        "", " ", ",", " , ,", "**", #"*,"1""#, #""""#, #""1"#, #"1""#, #"W/"1""#, #""1.""#, #"".1""#,
        #""1.2.3""#, #""1..2""#, #""a""#, #""12345678901234567890""#, #""1"2""#,
    ])
    func refused(value: String) {
        let error = #expect(throws: BadRequest.self) { try ETagList.parse(value, header: "If-None-Match") }
        #expect(error?.field == "If-None-Match")
    }

    @Test(arguments: [
        ("application/octet-stream", "application/octet-stream"),
        ("Application/JSON; charset=utf-8", "application/json"),
        (" text/plain ;q=1", "text/plain"),
        (";", ""),
        ("", ""),
        ("\tAPPLICATION/Octet-Stream\t", "application/octet-stream"),
    ])
    func mediaTypeDropsParametersAndCase(value: String, type: String) {
        #expect(WriteBody.mediaType(value) == type)
    }
}
