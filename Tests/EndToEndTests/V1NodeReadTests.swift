import Foundation
import TestSupport
import Testing

/// GET /v1/nodes/{path}: representations, encodings, children, headers, read-your-writes.
@Suite("End to end: /v1 node reads")
struct V1NodeReadTests {
    @Test func jsonRepresentationAndHeaders() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let created = try client.put("/app/config?parents=true", "hello")
        #expect(created.status == 201, "\(created)")
        let response = try client.get("/app/config")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.nodePath == "/app/config")
        #expect(response.dataText == "hello")
        #expect(response.encoding == "utf8")
        #expect(response.children == nil, "children only when asked for")
        let mzxid = try #require(response.statInt("mzxid"))
        #expect(response.statInt("czxid") == mzxid)
        #expect(response.statInt("version") == 0)
        #expect(response.statInt("dataLength") == 5)
        #expect(response.statInt("numChildren") == 0)
        #expect(response.stat["ephemeralOwner"] as? String == "0000000000000000")
        #expect(response.stat["type"] as? String == "persistent")
        for name in ["pzxid", "ctime", "mtime", "cversion", "aversion"] { #expect(response.statInt(name) != nil, "stat.\(name)") }
        // The ETag names the data's and the children's last change: "<mzxid>.<pzxid>".
        #expect(response.etag == "\"\(mzxid).\(try #require(response.statInt("pzxid")))\"")
        #expect(try #require(response.zkIndex) >= mzxid)
        // The create's own answer described the same node.
        #expect(created.etag == response.etag)
        #expect(created.header("Location") == "/v1/nodes/app/config")
        #expect(created.statInt("mzxid") == mzxid)
    }

    @Test func childrenAreListedWithTheirOwnETag() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/dir", "d").status == 201)
        for name in ["b", "a", "c"] { #expect(try client.put("/dir/\(name)", name).status == 201) }
        let listing = try client.get("/dir?children=true")
        #expect(listing.status == 200)
        #expect(Set(listing.children ?? []) == ["a", "b", "c"], "\(listing.bodyText)")
        #expect(listing.statInt("numChildren") == 3)
        #expect(listing.dataText == "d")
        let mzxid = try #require(listing.statInt("mzxid"))
        let pzxid = try #require(listing.statInt("pzxid"))
        #expect(listing.etag == "\"\(mzxid).\(pzxid)\"")
        // A leaf lists no children; `children=false` is the plain view.
        #expect(try client.get("/dir/a?children=true").children == [])
        #expect(try client.get("/dir?children=false").children == nil)
        #expect(try client.get("/dir?children").children != nil, "a bare flag is true")
        // The root, with and without the trailing slash.
        let root = try client.get("/?children=true")
        #expect(root.status == 200)
        #expect(root.nodePath == "/")
        #expect(root.children == ["dir"])
        let bare = try client.request("GET", "/v1/nodes?children=true")
        #expect(bare.status == 200)
        #expect(bare.children == ["dir"])
    }

    /// Every byte value, written raw and read back raw, as JSON (base64) and with HEAD.
    @Test func allByteValuesRoundTripAsOctetStream() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let put = try client.putRaw("/bin", allByteValues)
        #expect(put.status == 201, "\(put)")
        #expect(put.statInt("dataLength") == 256)

        let raw = try client.get("/bin", headers: [("Accept", "application/octet-stream")])
        #expect(raw.status == 200)
        #expect(raw.header("Content-Type") == "application/octet-stream")
        #expect(raw.body == allByteValues)
        #expect(raw.etag == put.etag)
        #expect(raw.zkIndex != nil)
        let statHeader = try #require(raw.header("Zkgate-Stat"))
        let stat = try #require(try JSONSerialization.jsonObject(with: Data(statHeader.utf8)) as? [String: Any])
        #expect(intValue(stat["dataLength"]) == 256)
        #expect(intValue(stat["version"]) == 0)

        let json = try client.get("/bin")
        #expect(json.encoding == "base64", "not UTF-8, so base64 by default")
        #expect(json.nodeData == allByteValues)
        #expect(json.dataText == Data(allByteValues).base64EncodedString())

        let head = try client.request("HEAD", "/v1/nodes/bin", headers: [("Accept", "application/octet-stream")])
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "256")
        #expect(head.etag == put.etag)
        #expect(try client.get("/bin").status == 200, "no body followed the HEAD answer")
    }

    @Test func allByteValuesRoundTripAsBase64JSON() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let encoded = Data(allByteValues).base64EncodedString()
        let put = try client.put("/bin", json: ["data": encoded, "encoding": "base64"])
        #expect(put.status == 201, "\(put)")
        #expect(put.encoding == "base64")
        #expect(put.nodeData == allByteValues)
        #expect(try client.get("/bin", headers: [("Accept", "application/octet-stream")]).body == allByteValues)
        #expect(try client.get("/bin").nodeData == allByteValues)
        // And a JSON string with escapes (\u0000, \/, \n, a surrogate pair) as utf8 data.
        let escaped = Array(#"{"data":"a\u0000b\/c\n\ud83d\ude00"}"#.utf8)
        let text = try client.request("PUT", "/v1/nodes/text", headers: [("Content-Type", "application/json")], body: escaped)
        #expect(text.status == 201, "\(text)")
        let read = try client.get("/text", headers: [("Accept", "application/octet-stream")])
        #expect(read.body == Array("a\u{0}b/c\n😀".utf8))
    }

    @Test func encodingParameterChoosesTheJSONEncoding() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/t", "hello").status == 201)
        let forced = try client.get("/t?encoding=base64")
        #expect(forced.encoding == "base64")
        #expect(forced.dataText == "aGVsbG8=")
        let utf8 = try client.get("/t?encoding=utf8")
        #expect(utf8.encoding == "utf8")
        #expect(utf8.dataText == "hello")
        #expect(try client.get("/t").encoding == "utf8", "UTF-8 data is text by default")
        // Empty data is empty text.
        #expect(try client.put("/empty", json: [String: Any]()).status == 201)
        let empty = try client.get("/empty")
        #expect(empty.dataText == "")
        #expect(empty.statInt("dataLength") == 0)
        #expect(try client.get("/empty", headers: [("Accept", "application/octet-stream")]).body == [])
        // Accept naming both media types gets JSON.
        let both = try client.get("/t", headers: [("Accept", "application/octet-stream, application/json")])
        #expect(both.header("Content-Type") == "application/json")
        // A raw answer with ?children: the bytes, still with the children ETag.
        let raw = try client.get("/t?children=true", headers: [("Accept", "application/octet-stream")])
        #expect(raw.body == Array("hello".utf8))
    }

    @Test func missingNodeIs404WithIndex() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let response = try client.get("/nope/deeper")
        expectProblem(response, status: 404, type: "no-node")
        #expect(response.object["path"] as? String == "/nope/deeper")
        #expect(response.zkIndex != nil)
        expectProblem(try client.get("/nope?children=true"), status: 404, type: "no-node")
        expectProblem(try client.get("/nope", headers: [("Accept", "application/octet-stream")]), status: 404, type: "no-node")
    }

    /// `ETag` and `Zkgate-Index` on every answer that describes a node, whatever the method.
    @Test func etagAndIndexOnEveryNodeAnswer() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        var answers: [(String, HTTPTestResponse)] = []
        answers.append(("PUT create", try client.put("/n?parents=true", "1")))
        answers.append(("PUT set", try client.put("/n", "2")))
        answers.append(("PUT raw", try client.putRaw("/n", [1, 2, 3])))
        answers.append(("PUT ?version", try client.put("/n?version=2", "3")))
        answers.append(("POST", try client.post("/n/child", json: ["data": "c"])))
        answers.append(("POST sequential", try client.post("/n/seq-", json: ["mode": "persistent_sequential"])))
        answers.append(("GET", try client.get("/n")))
        answers.append(("GET children", try client.get("/n?children=true")))
        answers.append(("GET raw", try client.get("/n", headers: [("Accept", "application/octet-stream")])))
        answers.append(("GET base64", try client.get("/n?encoding=base64")))
        answers.append(("GET consistent", try client.get("/n?consistent=true")))
        let etag = try #require(answers[6].1.etag)
        answers.append(("GET 304", try client.get("/n", headers: [("If-None-Match", etag)])))
        answers.append(("HEAD", try client.request("HEAD", "/v1/nodes/n")))
        for (what, response) in answers {
            #expect((200..<400).contains(response.status), "\(what): \(response)")
            #expect(response.etag?.hasPrefix("\"") == true, "\(what) has no ETag: \(response)")
            #expect(response.zkIndex != nil, "\(what) has no Zkgate-Index: \(response)")
        }
        #expect(answers[11].1.status == 304)
        let deleted = try client.delete("/n/child")
        #expect(deleted.status == 204)
        #expect(deleted.zkIndex != nil, "DELETE answers the index of the delete")
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

    @Test func conditionalGetWithoutWait() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        let put = try client.put("/c", "x")
        let etag = try #require(put.etag)
        let same = try client.get("/c", headers: [("If-None-Match", etag)])
        #expect(same.status == 304)
        #expect(same.body.isEmpty)
        #expect(same.etag == etag)
        let other = try client.get("/c", headers: [("If-None-Match", "\"999999\"")])
        #expect(other.status == 200)
        #expect(other.dataText == "x")
    }
}
