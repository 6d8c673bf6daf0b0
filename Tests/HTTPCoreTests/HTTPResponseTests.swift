import HTTPCore
import Testing

@Suite("Responses")
struct HTTPResponseTests {
    @Test func jsonKeepsHandlerHeadersAndAddsContentType() {
        let response = HTTPResponse.json(.created, "{}", headers: ["Location": "/zk/a"])
        #expect(response.status.code == 201)
        #expect(Array(response.headers.map(\.name)) == ["Location", "Content-Type"])
        #expect(response.body == Array("{}".utf8))
    }
}
