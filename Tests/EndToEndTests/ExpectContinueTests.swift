import TestSupport
import Testing

/// `Expect: 100-continue`: the server invites the body before the client sends it.
@Suite("End to end: Expect 100-continue")
struct ExpectContinueTests {
    @Test func continueThenBodyThenEcho() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send("POST /debug/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse(method: "POST", timeout: 3)
        #expect(interim.status == 100)
        #expect(interim.rawHeadText == "HTTP/1.1 100 Continue\r\n\r\n")
        try client.send("hello world")
        let response = try client.readResponse(method: "POST")
        #expect(response.status == 200)
        #expect(response.bodyText == "hello world")
        #expect(try client.request("GET", "/healthz").status == 200)
    }

    /// A client that sends the body with the head anyway gets no interim answer.
    @Test func noContinueWhenTheBodyCameWithTheHead() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send("POST /debug/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi")
        let response = try client.readResponse(method: "POST")
        #expect(response.status == 200)
        #expect(response.bodyText == "hi")
    }

    @Test func continueForAChunkedBody() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send("PUT /debug/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n")
        #expect(try client.readResponse(method: "PUT", timeout: 3).status == 100)
        try client.send("3\r\nabc\r\n0\r\n\r\n")
        let response = try client.readResponse(method: "PUT")
        #expect(response.status == 200)
        #expect(response.bodyText == "abc")
    }

    /// Pipelined behind a parked request, the head is read only when its turn comes; the
    /// interim answer must still come, after the first answer.
    @Test func continueBehindAParkedRequest() throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        let client = try server.connect()
        try client.send(HTTPRequestBytes.make("GET", "/debug/defer?ms=100")
            + Array("POST /debug/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n".utf8))
        #expect(try client.readResponse().status == 200)
        #expect(try client.readResponse(method: "POST", timeout: 3).status == 100)
        try client.send("xyz")
        #expect(try client.readResponse(method: "POST").bodyText == "xyz")
    }
}
