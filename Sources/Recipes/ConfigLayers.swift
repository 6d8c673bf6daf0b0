import Coordination
import JSON

/// Layered configuration: the JSON objects stored at the config root, at each ancestor of a
/// device's path and at the path itself, deep-merged so that the nearest layer wins and a
/// `null` member deletes the key. Pure: the caller reads the layers.
public enum ConfigLayers {
    /// The layer paths for `name` below `root`, root first.
    ///
    /// - Throws: `.invalidName` for a name that is not a path.
    public static func paths(_ name: String, under root: ZNodePath) throws(RecipeError) -> [ZNodePath] {
        paths(to: try leaf(name, under: root), under: root)
    }

    /// The config path for `name`: the root itself for the empty name.
    ///
    /// - Throws: `.invalidName` for a name that is not a path.
    public static func leaf(_ name: String, under root: ZNodePath) throws(RecipeError) -> ZNodePath {
        name.isEmpty ? root : try RecipeName.path(name, under: root)
    }

    /// The layer paths from `root` down to `leaf` (which is `root` or below it).
    public static func paths(to leaf: ZNodePath, under root: ZNodePath) -> [ZNodePath] {
        var paths: [ZNodePath] = []
        var current: ZNodePath? = leaf
        while let path = current {
            paths.append(path)
            if path == root { break }
            current = path.parent
        }
        return paths.reversed()
    }

    /// One layer as read: nil data when the node does not exist.
    public struct Layer: Sendable {
        public var path: ZNodePath
        public var data: [UInt8]?
        public init(path: ZNodePath, data: [UInt8]?) {
            self.path = path
            self.data = data
        }
    }

    /// Merges the layers, root first. Missing nodes and empty data are empty layers.
    ///
    /// - Returns: the merged object and the paths of the layers that contributed.
    /// - Throws: `.layerNotObject` naming the first layer that holds anything but a JSON object.
    public static func merge(_ layers: [Layer]) throws(RecipeError) -> (config: JSONObject, used: [ZNodePath]) {
        var merged = JSONObject()
        var used: [ZNodePath] = []
        for layer in layers {
            guard let data = layer.data, !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
                continue
            }
            let value: JSONValue
            do {
                value = try JSONParser.parse(data)
            } catch {
                throw .layerNotObject(layer: layer.path, detail: "it is not valid JSON (\(error))")
            }
            guard let object = value.objectValue else {
                throw .layerNotObject(layer: layer.path, detail: "it holds a JSON \(value.typeName), not an object")
            }
            merged = deepMerge(merged, object)
            used.append(layer.path)
        }
        return (merged, used)
    }

    /// `top` over `base`: objects merge member by member, anything else replaces, and `null`
    /// removes the member. Linear in the members of both: names are found through a table.
    static func deepMerge(_ base: JSONObject, _ top: JSONObject) -> JSONObject {
        var members = base.members
        var index: [String: Int] = [:]
        index.reserveCapacity(members.count)
        for (k, member) in members.enumerated() { index[member.name] = k }
        var removed: [Bool] = []
        for (name, value) in top {
            let existing = index[name]
            if value.isNull {
                if let existing {
                    if removed.isEmpty { removed = Array(repeating: false, count: members.count) }
                    removed[existing] = true
                }
                continue
            }
            if let existing {
                if let lower = members[existing].value.objectValue, let upper = value.objectValue {
                    members[existing].value = .object(deepMerge(lower, upper))
                } else {
                    members[existing].value = value
                }
            } else {
                index[name] = members.count
                members.append((name, value.objectValue.map { .object(deepMerge(JSONObject(), $0)) } ?? value))
            }
        }
        var kept: [(String, JSONValue)] = []
        kept.reserveCapacity(members.count)
        for (k, member) in members.enumerated() where k >= removed.count || !removed[k] {
            kept.append((member.name, member.value))
        }
        return JSONObject(kept)
    }
}
