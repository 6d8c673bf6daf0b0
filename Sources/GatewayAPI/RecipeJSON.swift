import Coordination
import JSON
import Recipes

/// The JSON forms of recipe answers.
enum RecipeJSON {
    /// `{"node", "token", "session", "createdAt"}` (session null for other clients).
    static func entry(_ entry: QueueEntry) -> String {
        var w = JSONWriter()
        write(entry, to: &w)
        return w.string
    }

    static func write(_ entry: QueueEntry, to w: inout JSONWriter, value: Bool = false) {
        w.beginObject()
        w.key("node"); w.string(entry.node)
        w.key("token"); w.number(entry.token)
        w.key("session")
        if let session = entry.session { w.string(SessionID.format(session)) } else { w.null() }
        if value {
            w.key("value"); w.string(String(decoding: entry.data, as: UTF8.self))
        }
        w.key("createdAt"); w.number(entry.createdAt)
        w.endObject()
    }
}
