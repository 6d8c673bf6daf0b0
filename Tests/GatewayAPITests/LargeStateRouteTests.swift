import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Testing

/// Large stored state read by many: a config layer or a service payload of thousands of keys
/// is parsed once per change and merged or listed correctly for every reader.
@Suite struct LargeStateRouteTests {
    static let keys = 5_000

    static func bigObject(prefix: String, keys: Int) -> String {
        "{" + (0..<keys).map { "\"\(prefix)\($0)\":\($0)" }.joined(separator: ",") + "}"
    }

    @Test(arguments: RouteHarness.Backend.available)
    func aLargeRootLayerMergesUnderEveryPath(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let root = Self.bigObject(prefix: "r", keys: Self.keys)
        #expect(await harness.request(.put, harness.nodes("/config?parents=true"), object: ["data": root]).status.code < 300)
        #expect(await harness.request(.put, harness.nodes("/config/eu?parents=true"), object: ["data": #"{"r1":"eu","r2":null}"#])
            .status.code < 300)
        for device in 0..<12 {
            let answer = await harness.request(.get, "/v1/config/eu/d\(device)")
            #expect(answer.status.code == 200)
            let config = try #require(answer.json["config"] as? [String: Any])
            #expect(config.count == Self.keys - 1, "r2 removed by the eu layer")
            #expect(config["r1"] as? String == "eu")
            #expect(config["r\(Self.keys - 1)"] as? Int == Self.keys - 1)
        }
        // A change of the root reaches every path (the parsed layer is not kept past it).
        #expect(await harness.request(.put, harness.nodes("/config"), object: ["data": #"{"r0":"new"}"#]).status.code == 200)
        let after = await harness.request(.get, "/v1/config/eu/d3")
        let config = try #require(after.json["config"] as? [String: Any])
        #expect(config.count == 2)
        #expect(config["r0"] as? String == "new")
        #expect(config["r1"] as? String == "eu")
        await harness.shutdown()
    }

    @Test(arguments: RouteHarness.Backend.available)
    func aLargePayloadListsForEveryReaderAndFollowsChanges(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let opened = await harness.request(.post, "/v1/sessions", json: #"{"ttl":20000}"#)
        let session = try #require(opened.json["id"] as? String)
        let payload = Self.bigObject(prefix: "p", keys: Self.keys)
        let registered = await harness.request(.put, "/v1/services/big/i1",
            json: #"{"session":"\#(session)","address":"10.0.0.1","port":80,"payload":\#(payload)}"#)
        #expect(registered.status.code == 200)
        for _ in 0..<5 {
            let listing = await harness.request(.get, "/v1/services/big")
            let instances = try #require(listing.json["instances"] as? [[String: Any]])
            #expect(instances.count == 1)
            #expect((instances.first?["payload"] as? [String: Any])?.count == Self.keys)
        }
        let second = await harness.request(.put, "/v1/services/big/i2",
            json: #"{"session":"\#(session)","address":"10.0.0.2","port":81}"#)
        #expect(second.status.code == 200)
        let listing = await harness.request(.get, "/v1/services/big")
        #expect((listing.json["instances"] as? [[String: Any]])?.count == 2, "a cached listing is not served past a change")
        _ = await harness.request(.delete, "/v1/sessions/\(session)")
        await harness.shutdown()
    }

    /// A layer past the parser's limits (stored as plain node data, which is not parsed on
    /// write) makes config reads a clear 422 naming the layer, for every path below it.
    @Test func aLayerPastTheLimitsIsA422ForItsReaders() async throws {
        let harness = try await RouteHarness()
        let root = Self.bigObject(prefix: "r", keys: 12_000)
        #expect(await harness.request(.put, harness.nodes("/config?parents=true"), object: ["data": root]).status.code < 300)
        for device in 0..<3 {
            let answer = await harness.request(.get, "/v1/config/d\(device)")
            #expect(answer.status.code == 422)
            #expect((answer.json["type"] as? String)?.hasSuffix(":config-layer-not-object") == true)
        }
        #expect(await harness.request(.get, harness.nodes("/config")).status.code == 200, "the node itself still reads")
        await harness.shutdown()
    }
}
