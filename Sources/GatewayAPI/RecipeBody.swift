import Coordination
import HTTPServer
import JSON
import Waiting

/// The JSON object body of a recipe call, with its members checked against those allowed.
struct RecipeBody {
    let object: JSONObject

    init(_ request: HTTPRequest, allowed: [String], example: String) throws(BadRequest) {
        let json = try parseJSONBody(request) { _ in "The body must be a JSON object such as \(example)." }
        guard let object = json.objectValue else {
            throw BadRequest(field: "body", detail: "The body must be a JSON object such as \(example).")
        }
        if let unknown = object.names.first(where: { !allowed.contains($0) }) {
            throw BadRequest(field: unknown, detail: "Unknown member \"\(unknown)\"; allowed: \(allowed.joined(separator: ", ")).")
        }
        self.object = object
    }

    /// The required `session` member: 16 hex digits.
    func session() throws(BadRequest) -> Int64 {
        guard let text = object["session"]?.stringValue, let id = SessionID.parse(text) else {
            throw BadRequest(field: "session", detail: "session is required: a session id of 16 hex digits, as POST /v1/sessions returns.")
        }
        return id
    }

    /// The optional `wait` member: a duration string ("30s", "500ms") or a number of seconds,
    /// clamped to the server's longest wait.
    func wait(limits: LongPoll.Limits) throws(BadRequest) -> Duration {
        guard let value = object["wait"] else { return limits.standard }
        let wait: Duration?
        switch value {
        case .string(let text): wait = WaitDuration.parse(text)
        case .number: wait = value.int64Value.flatMap { $0 >= 0 && $0 <= 1_000_000 ? .seconds($0) : nil }
        default: wait = nil
        }
        guard let wait else {
            throw BadRequest(field: "wait", detail: "wait must be a duration such as \"30s\" or \"500ms\", or a number of seconds.")
        }
        return min(wait, limits.max)
    }

    /// An optional string member.
    func string(_ name: String, maxLength: Int = 4096) throws(BadRequest) -> String? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let text = value.stringValue, text.utf8.count <= maxLength else {
            throw BadRequest(field: name, detail: "\(name) must be a string of at most \(maxLength) bytes.")
        }
        return text
    }

    /// An optional integer member within `range`.
    func integer(_ name: String, in range: ClosedRange<Int64>) throws(BadRequest) -> Int64? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let n = value.int64Value, range.contains(n) else {
            throw BadRequest(field: name, detail: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return n
    }
}

extension HTTPRequest {
    /// The required `?token=`: the token an acquire or a campaign answered.
    func token() throws(BadRequest) -> Int64 {
        guard let token = try integer("token", in: 0...Int64.max) else {
            throw BadRequest(field: "token", detail: "token is required: the token the acquire or campaign answered.")
        }
        return token
    }
}
