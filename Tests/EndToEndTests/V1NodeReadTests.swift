import Foundation
import TestSupport
import Testing

/// GET /v1/nodes/{path} where the process matters: several loops, and HEAD framing on a socket.
/// What a route answers is in GatewayAPITests/NodeReadRouteTests.
@Suite("End to end: /v1 node reads")
struct V1NodeReadTests {
    /// HEAD on a node: the length of the GET answer, and no body on the connection after it.
    @Test func headSendsTheLengthAndNoBody() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let put = try client.putRaw("/bin", allByteValues)
        #expect(put.status == 201, "\(put)")
        let head = try client.request("HEAD", "/v1/nodes/bin", headers: [("Accept", "application/octet-stream")])
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "256")
        #expect(head.etag == put.etag)
        #expect(try client.get("/bin").status == 200, "no body followed the HEAD answer")
    }

    /// A write acknowledged on one connection is seen by a read on any other connection that
    /// sends the write's `Zkgate-Index` (connections spread over the server's loops).
    @Test func readYourWritesWithZkgateIndex() throws {
        let server = try V1Server(["--threads", "2"])
        defer { server.stop() }
        let writer = try server.connect()
        let readers = try (0..<6).map { _ in try server.connect() }
        // Warm every reader's loop cache with the old value first.
        #expect(try writer.put("/ryw", "0").status == 201)
        for reader in readers { #expect(try reader.get("/ryw").status == 200) }
        for round in 1...60 {
            let write = try writer.put("/ryw", "\(round)")
            #expect(write.status == 200)
            let index = try #require(write.zkIndex)
            for reader in readers {
                let read = try reader.get("/ryw", headers: [("Zkgate-Index", "\(index)")])
                #expect(read.dataText == "\(round)", "round \(round): a reader saw \(read.dataText ?? "?") after index \(index)")
                #expect(try #require(read.zkIndex) >= index)
            }
        }
    }
}
