import Coordination
import JSON
import Recipes
import TestSupport
import Testing

/// The merge against a plain reference, on random layers small and large: the indexed path
/// (more than 16 members on either side) and the scanning path must agree with it exactly,
/// member order included.
@Suite struct ConfigMergePropertyTests {
    static func object(size: Int, depth: Int, _ rng: inout SeededGenerator) -> JSONObject {
        var members: [(String, JSONValue)] = []
        var names = Set<String>()
        while members.count < size {
            // A small name space, so layers share names and overrides happen.
            let name = "k\(Int.random(in: 0..<(size * 2 + 4), using: &rng))"
            guard names.insert(name).inserted else { continue }
            let value: JSONValue
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1: value = .null
            case 2 where depth > 0, 3 where depth > 0: value = .object(object(size: Int.random(in: 0...6, using: &rng), depth: depth - 1, &rng))
            case 4: value = .array([.number("1")])
            default: value = .number(String(Int.random(in: 0..<100, using: &rng)))
            }
            members.append((name, value))
        }
        return JSONObject(members)
    }

    /// The semantics, written as plainly as possible.
    static func reference(_ base: JSONObject, _ top: JSONObject) -> JSONObject {
        var result = base.members.map { ($0.name, $0.value) }
        for (name, value) in top {
            let at = result.firstIndex { $0.0 == name }
            if value.isNull {
                if let at { result.remove(at: at) }
            } else if let at, case .object(let lower) = result[at].1, case .object(let upper) = value {
                result[at].1 = .object(reference(lower, upper))
            } else if let at {
                result[at].1 = value
            } else {
                result.append((name, value.objectValue.map { .object(reference(JSONObject(), $0)) } ?? value))
            }
        }
        return JSONObject(result)
    }

    @Test(arguments: 0..<40)
    func agreesWithTheReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed))
        let sizes = [0, 3, 15, 17, 40, 200]
        let layers = (0..<3).map { _ in Self.object(size: sizes.randomElement(using: &rng)!, depth: 2, &rng) }
        var expected = JSONObject()
        for layer in layers { expected = Self.reference(expected, layer) }
        let paths = try ["/config", "/config/a", "/config/a/b"].map { try ZNodePath(validating: $0) }
        let (merged, used) = ConfigLayers.merge(parsed: Array(zip(paths, layers.map(Optional.some))))
        #expect(merged == expected, "seed \(seed)")
        #expect(used == paths)
    }

    /// 2,000 keys over 2,000 keys (the indexed path): every override and deletion applied.
    @Test func largeLayersMerge() throws {
        let base = JSONObject((0..<2_000).map { ("k\($0)", JSONValue.number("0")) })
        let top = JSONObject((0..<2_000).map { i in ("k\(i * 2)", i % 3 == 0 ? JSONValue.null : .number("1")) })
        let paths = try ["/config", "/config/x"].map { try ZNodePath(validating: $0) }
        let (merged, _) = ConfigLayers.merge(parsed: [(paths[0], base), (paths[1], top)])
        #expect(merged == Self.reference(base, top))
    }
}
