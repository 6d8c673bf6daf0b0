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
        var parsed: [(ZNodePath, JSONObject?)] = []
        parsed.reserveCapacity(layers.count)
        for layer in layers { parsed.append((layer.path, try parse(layer))) }
        return merge(parsed: parsed)
    }

    /// One layer's object: nil for a missing node or empty data. Parsing is linear in the
    /// data, and callers that serve many reads keep the result until the layer changes.
    ///
    /// - Throws: `.layerNotObject` when the layer holds anything but a JSON object.
    public static func parse(_ layer: Layer) throws(RecipeError) -> JSONObject? {
        guard let data = layer.data, !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            return nil
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
        return object
    }

    /// Merges parsed layers, root first (nil: an empty layer), in time linear in their members.
    public static func merge(parsed layers: [(ZNodePath, JSONObject?)]) -> (config: JSONObject, used: [ZNodePath]) {
        var merged = JSONObject()
        var used: [ZNodePath] = []
        for (path, object) in layers {
            guard let object else { continue }
            merged = deepMerge(merged, object)
            used.append(path)
        }
        return (merged, used)
    }

    /// `top` over `base`: objects merge member by member, anything else replaces, and `null`
    /// removes the member. Names are found through a table once either side is large, so a
    /// layer of 20,000 keys merges in one pass, not 20,000 scans.
    static func deepMerge(_ base: JSONObject, _ top: JSONObject) -> JSONObject {
        var members: [(name: String, value: JSONValue)?] = base.members.map { $0 }
        let indexed = members.count + top.count > 16
        var slots: [String: Int] = [:]
        if indexed {
            slots.reserveCapacity(members.count + top.count)
            for (i, member) in members.enumerated() { slots[member!.name] = i }
        }
        for (name, value) in top {
            let existing = indexed ? slots[name] : members.firstIndex { $0?.name == name }
            if value.isNull {
                if let existing {
                    members[existing] = nil
                    slots[name] = nil
                }
                continue
            }
            if let existing, let current = members[existing] {
                if let lower = current.value.objectValue, let upper = value.objectValue {
                    members[existing] = (name, .object(deepMerge(lower, upper)))
                } else {
                    members[existing] = (name, value)
                }
            } else {
                if indexed { slots[name] = members.count }
                members.append((name, value.objectValue.map { .object(deepMerge(JSONObject(), $0)) } ?? value))
            }
        }
        return JSONObject(members.compactMap { $0.map { ($0.name, $0.value) } })
    }
}
