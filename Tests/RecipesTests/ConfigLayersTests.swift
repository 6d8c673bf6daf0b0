import Coordination
import JSON
import Recipes
import Testing

@Suite("Layered configuration")
struct ConfigLayersTests {
    func layer(_ path: String, _ json: String?) throws -> ConfigLayers.Layer {
        ConfigLayers.Layer(path: try ZNodePath(validating: path), data: json.map { Array($0.utf8) })
    }

    @Test("the layer paths run from the root down to the name")
    func paths() throws {
        let root = try ZNodePath(validating: "/config")
        #expect(try ConfigLayers.paths("fleet/eu/dev7", under: root).map(\.string)
            == ["/config", "/config/fleet", "/config/fleet/eu", "/config/fleet/eu/dev7"])
        #expect(try ConfigLayers.paths("", under: root).map(\.string) == ["/config"])
        #expect(throws: RecipeError.self) { try ConfigLayers.paths("a//b", under: root) }
        #expect(throws: RecipeError.self) { try ConfigLayers.paths("a/../b", under: root) }
    }

    @Test("nearest layer wins, objects merge deeply, null deletes, missing and empty layers are skipped")
    func merge() throws {
        let (config, used) = try ConfigLayers.merge([
            try layer("/config", #"{"a": 1, "b": {"x": 1, "y": 2}, "list": [1, 2], "gone": true}"#),
            try layer("/config/fleet", nil),
            try layer("/config/fleet/eu", ""),
            try layer("/config/fleet/eu/dev7", #"{"b": {"y": null, "z": {"deep": null, "k": 1}}, "list": [3], "gone": null}"#),
        ])
        #expect(JSONValue.object(config).jsonText == #"{"a":1,"b":{"x":1,"z":{"k":1}},"list":[3]}"#)
        #expect(used.map(\.string) == ["/config", "/config/fleet/eu/dev7"])
    }

    @Test("a layer that is not a JSON object is named", arguments: [#"[1]"#, "42", #""text""#, "{not json", "null"])
    func notObject(_ text: String) throws {
        do {
            _ = try ConfigLayers.merge([try layer("/config", "{}"), try layer("/config/bad", text)])
            Issue.record("merged a layer holding \(text)")
        } catch RecipeError.layerNotObject(let path, _) {
            #expect(path.string == "/config/bad")
        }
    }
    /// Large layers merge member by member in one pass: 10,000 members over 10,000, half of
    /// them replaced, a quarter deleted, and new ones appended in order.
    @Test func largeLayersMerge() throws {
        let n = 10_000
        let base = "{" + (0..<n).map { "\"k\($0)\":{\"v\":\($0),\"keep\":true}" }.joined(separator: ",") + "}"
        let top = "{" + (0..<n).map { i in
            i % 4 == 0 ? "\"k\(i)\":null" : i % 2 == 0 ? "\"k\(i)\":{\"v\":-1}" : "\"n\(i)\":\(i)"
        }.joined(separator: ",") + "}"
        let (config, _) = try ConfigLayers.merge([try layer("/config", base), try layer("/config/dev", top)])
        #expect(config.count == n - n / 4 + n / 2)
        #expect(config["k0"] == nil)
        #expect(config["k2"] == .object(JSONObject([("v", JSONValue(-1)), ("keep", .bool(true))])))
        #expect(config["k1"] == .object(JSONObject([("v", JSONValue(1)), ("keep", .bool(true))])))
        #expect(config.names.prefix(3) == ["k1", "k2", "k3"])
        #expect(config.names.last == "n\(n - 1)")
    }
}
