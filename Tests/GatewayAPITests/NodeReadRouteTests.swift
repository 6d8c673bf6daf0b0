import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// GET /v1/nodes/{path}: representations, encodings, children, headers, conditional reads,
/// on both backends.
@Suite struct NodeReadRouteTests {
    static let backends = RouteHarness.Backend.available

    @Test(arguments: backends)
    func jsonRepresentationAndHeaders(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let created = await harness.request(.put, harness.nodes("/app/config?parents=true"), object: ["data": "hello"])
        #expect(created.status.code == 201, "\(created.text)")
        let response = await harness.request(.get, harness.nodes("/app/config"))
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.nodePath == harness.base + "/app/config")
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
        #expect(created.headers["Location"] == harness.nodes("/app/config"))
        #expect(created.statInt("mzxid") == mzxid)
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func childrenAreListedWithTheirOwnETag(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let dir = harness.base
        #expect(await harness.request(.put, "/v1/nodes" + dir, object: ["data": "d"]).status.code == 201)
        for name in ["b", "a", "c"] {
            #expect(await harness.request(.put, "/v1/nodes\(dir)/\(name)", object: ["data": name]).status.code == 201)
        }
        let listing = await harness.request(.get, "/v1/nodes\(dir)?children=true")
        #expect(listing.status.code == 200)
        #expect(Set(listing.children ?? []) == ["a", "b", "c"], "\(listing.text)")
        #expect(listing.statInt("numChildren") == 3)
        #expect(listing.dataText == "d")
        let mzxid = try #require(listing.statInt("mzxid"))
        let pzxid = try #require(listing.statInt("pzxid"))
        #expect(listing.etag == "\"\(mzxid).\(pzxid)\"")
        // A leaf lists no children; `children=false` is the plain view.
        #expect(await harness.request(.get, "/v1/nodes\(dir)/a?children=true").children == [])
        #expect(await harness.request(.get, "/v1/nodes\(dir)?children=false").children == nil)
        #expect(await harness.request(.get, "/v1/nodes\(dir)?children").children != nil, "a bare flag is true")
        // The root, with and without the trailing slash (on a shared ensemble it has more).
        let folder = String(dir.dropFirst())
        let root = await harness.request(.get, "/v1/nodes/?children=true")
        #expect(root.status.code == 200)
        #expect(root.nodePath == "/")
        #expect(root.children?.contains(folder) == true)
        let bare = await harness.request(.get, "/v1/nodes?children=true")
        #expect(bare.status.code == 200)
        #expect(bare.children?.contains(folder) == true)
        if backend == .embedded {
            #expect(root.children == [folder])
            #expect(bare.children == [folder])
        }
        await harness.shutdown()
    }

    /// Every byte value, written raw and read back raw, as JSON (base64) and with HEAD.
    @Test(arguments: backends)
    func allByteValuesRoundTripAsOctetStream(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let octets: HTTPHeaders = ["Content-Type": "application/octet-stream"]
        let put = await harness.request(.put, harness.nodes("/bin"), body: allByteValues, headers: octets)
        #expect(put.status.code == 201, "\(put.text)")
        #expect(put.statInt("dataLength") == 256)

        let raw = await harness.request(.get, harness.nodes("/bin"), headers: ["Accept": "application/octet-stream"])
        #expect(raw.status.code == 200)
        #expect(raw.headers["Content-Type"] == "application/octet-stream")
        #expect(raw.body == allByteValues)
        #expect(raw.etag == put.etag)
        #expect(raw.zkIndex != nil)
        let statHeader = try #require(raw.headers["Zkgate-Stat"])
        let stat = try #require(try JSONSerialization.jsonObject(with: Data(statHeader.utf8)) as? [String: Any])
        #expect(intValue(stat["dataLength"]) == 256)
        #expect(intValue(stat["version"]) == 0)

        let json = await harness.request(.get, harness.nodes("/bin"))
        #expect(json.encoding == "base64", "not UTF-8, so base64 by default")
        #expect(json.nodeData == allByteValues)
        #expect(json.dataText == Data(allByteValues).base64EncodedString())

        // HEAD is answered as GET; the connection sends the head only (Content-Length: 256).
        let head = await harness.request(.head, harness.nodes("/bin"), headers: ["Accept": "application/octet-stream"])
        #expect(head.status.code == 200)
        #expect(head.body.count == 256)
        #expect(head.etag == put.etag)
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func allByteValuesRoundTripAsBase64JSON(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let encoded = Data(allByteValues).base64EncodedString()
        let put = await harness.request(.put, harness.nodes("/bin"), object: ["data": encoded, "encoding": "base64"])
        #expect(put.status.code == 201, "\(put.text)")
        #expect(put.encoding == "base64")
        #expect(put.nodeData == allByteValues)
        #expect(await harness.request(.get, harness.nodes("/bin"), headers: ["Accept": "application/octet-stream"]).body == allByteValues)
        #expect(await harness.request(.get, harness.nodes("/bin")).nodeData == allByteValues)
        // And a JSON string with escapes (\u0000, \/, \n, a surrogate pair) as utf8 data.
        let text = await harness.request(.put, harness.nodes("/text"), json: #"{"data":"a\u0000b\/c\n\ud83d\ude00"}"#)
        #expect(text.status.code == 201, "\(text.text)")
        let read = await harness.request(.get, harness.nodes("/text"), headers: ["Accept": "application/octet-stream"])
        #expect(read.body == Array("a\u{0}b/c\n😀".utf8))
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func encodingParameterChoosesTheJSONEncoding(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        #expect(await harness.request(.put, harness.nodes("/t"), object: ["data": "hello"]).status.code == 201)
        let forced = await harness.request(.get, harness.nodes("/t?encoding=base64"))
        #expect(forced.encoding == "base64")
        #expect(forced.dataText == "aGVsbG8=")
        let utf8 = await harness.request(.get, harness.nodes("/t?encoding=utf8"))
        #expect(utf8.encoding == "utf8")
        #expect(utf8.dataText == "hello")
        #expect(await harness.request(.get, harness.nodes("/t")).encoding == "utf8", "UTF-8 data is text by default")
        // Empty data is empty text.
        #expect(await harness.request(.put, harness.nodes("/empty"), object: [String: Any]()).status.code == 201)
        let empty = await harness.request(.get, harness.nodes("/empty"))
        #expect(empty.dataText == "")
        #expect(empty.statInt("dataLength") == 0)
        #expect(await harness.request(.get, harness.nodes("/empty"), headers: ["Accept": "application/octet-stream"]).body == [])
        // Accept naming both media types gets JSON.
        let both = await harness.request(.get, harness.nodes("/t"), headers: ["Accept": "application/octet-stream, application/json"])
        #expect(both.headers["Content-Type"] == "application/json")
        // A raw answer with ?children: the bytes, still with the children ETag.
        let raw = await harness.request(.get, harness.nodes("/t?children=true"), headers: ["Accept": "application/octet-stream"])
        #expect(raw.body == Array("hello".utf8))
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func missingNodeIs404WithIndex(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let response = await harness.request(.get, harness.nodes("/nope/deeper"))
        expectProblem(response, status: 404, type: "no-node")
        #expect(response.json["path"] as? String == harness.base + "/nope/deeper")
        #expect(response.zkIndex != nil)
        expectProblem(await harness.request(.get, harness.nodes("/nope?children=true")), status: 404, type: "no-node")
        expectProblem(await harness.request(.get, harness.nodes("/nope"), headers: ["Accept": "application/octet-stream"]),
            status: 404, type: "no-node")
        await harness.shutdown()
    }

    /// `ETag` and `Zkgate-Index` on every answer that describes a node, whatever the method.
    @Test(arguments: backends)
    func etagAndIndexOnEveryNodeAnswer(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let n = harness.nodes("/n")
        var answers: [(String, HTTPResponse)] = []
        answers.append(("PUT create", await harness.request(.put, n + "?parents=true", object: ["data": "1"])))
        answers.append(("PUT set", await harness.request(.put, n, object: ["data": "2"])))
        answers.append(("PUT raw", await harness.request(.put, n, body: [1, 2, 3], headers: ["Content-Type": "application/octet-stream"])))
        answers.append(("PUT ?version", await harness.request(.put, n + "?version=2", object: ["data": "3"])))
        answers.append(("POST", await harness.request(.post, n + "/child", object: ["data": "c"])))
        answers.append(("POST sequential", await harness.request(.post, n + "/seq-", object: ["mode": "persistent_sequential"])))
        answers.append(("GET", await harness.request(.get, n)))
        answers.append(("GET children", await harness.request(.get, n + "?children=true")))
        answers.append(("GET raw", await harness.request(.get, n, headers: ["Accept": "application/octet-stream"])))
        answers.append(("GET base64", await harness.request(.get, n + "?encoding=base64")))
        answers.append(("GET consistent", await harness.request(.get, n + "?consistent=true")))
        let etag = try #require(answers[6].1.etag)
        answers.append(("GET 304", await harness.request(.get, n, headers: ["If-None-Match": etag])))
        answers.append(("HEAD", await harness.request(.head, n)))
        for (what, response) in answers {
            #expect((200..<400).contains(response.status.code), "\(what): \(response.status.code) \(response.text)")
            #expect(response.etag?.hasPrefix("\"") == true, "\(what) has no ETag: \(response.text)")
            #expect(response.zkIndex != nil, "\(what) has no Zkgate-Index: \(response.text)")
        }
        #expect(answers[11].1.status.code == 304)
        let deleted = await harness.request(.delete, n + "/child")
        #expect(deleted.status.code == 204)
        #expect(deleted.zkIndex != nil, "DELETE answers the index of the delete")
        await harness.shutdown()
    }

    @Test(arguments: backends)
    func conditionalGetWithoutWait(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let put = await harness.request(.put, harness.nodes("/c?parents=true"), object: ["data": "x"])
        let etag = try #require(put.etag)
        let same = await harness.request(.get, harness.nodes("/c"), headers: ["If-None-Match": etag])
        #expect(same.status.code == 304)
        #expect(same.body.isEmpty)
        #expect(same.etag == etag)
        let other = await harness.request(.get, harness.nodes("/c"), headers: ["If-None-Match": "\"999999\""])
        #expect(other.status.code == 200)
        #expect(other.dataText == "x")
        await harness.shutdown()
    }
}
