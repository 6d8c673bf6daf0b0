import HTTPCore
import HTTPServer
import Testing

@Suite("Problem details")
struct ProblemResponseTests {
    @Test func problemForAParseError() {
        let response = HTTPResponse.problem(for: .requestLineTooLong)
        #expect(response.status == .uriTooLong)
        #expect(response.headers["content-type"] == "application/problem+json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"type":"urn:zkgate:problem:request-line-too-long","#
            + #""title":"URI Too Long","status":414,"detail":"The request line exceeds the limit."}"#)
    }

    @Test func problemWithInstanceAndExtraMembers() {
        let response = HTTPResponse.problem(
            .notFound, type: "no-node", detail: "No \"node\".", instance: "/zk/a", extra: [("path", #""/a""#)])
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"type":"urn:zkgate:problem:no-node","#
            + #""title":"Not Found","status":404,"detail":"No \"node\".","instance":"/zk/a","path":"/a"}"#)
    }
}
