import Coordination
import HTTPCore
import HTTPServer
import JSON

extension Gateway {
    /// 410: the feed cannot resume; here is the subtree now and a cursor to continue from.
    func gone(_ key: FeedKey, filter: FeedFilter?, next: Int64) async -> HTTPResponse {
        var nodes: [NodeSnapshot] = []
        var complete = true
        if let root = try? await readAny(key.path, children: false).node {
            nodes.append(root)
            if key.recursive {
                if let below = await subtree(key.path) {
                    for path in below.reversed() {
                        if let node = try? await readAny(path, children: false).node { nodes.append(node) }
                    }
                } else {
                    complete = false
                }
            }
        }
        var w = JSONWriter()
        w.beginArray()
        for node in nodes where filter?.allows(node.path) != false { NodeRepresentation.write(node, encoding: nil, into: &w) }
        w.endArray()
        return .problem(.gone, type: "cursor-expired",
            detail: complete
                ? "The cursor is older than the retained history: start again from the snapshot and next."
                : "The cursor is older than the retained history, and the subtree is too large to list.",
            extra: [("next", String(next)), ("snapshot", w.string)])
    }

    /// 410 for a parked feed when the backend reports that changes may have been missed.
    static func resynced(next: Int64) -> HTTPResponse {
        .problem(.gone, type: "cursor-expired",
            detail: "The gateway lost its connection to the backend and changes may have been missed: re-read, then continue from next.",
            extra: [("next", String(next)), ("snapshot", "[]")])
    }
}
