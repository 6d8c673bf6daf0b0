import Coordination
import HTTPCore
import HTTPServer
import JSON

/// What a node write carries: the data, and for a create its mode, session and TTL. From a
/// JSON body `{"data", "encoding", "mode", "session", "ttl"}`, or raw bytes
/// (`Content-Type: application/octet-stream`) with the rest in the query.
struct WriteBody {
    var data: [UInt8] = []
    var mode: CreateMode?
    var session: Int64?
    var ttlMs: Int64?

    static func parse(_ request: HTTPRequest, allowCreateFields: Bool) throws(BadRequest) -> WriteBody {
        let type = request.headers["Content-Type"].map(mediaType)
        var body = WriteBody()
        // No body and no type: the fields, if any, can only be in the query.
        let raw = type == "application/octet-stream" || (type == nil && request.body.isEmpty)
        switch raw ? "application/octet-stream" : type {
        case "application/octet-stream":
            body.data = request.body
            if allowCreateFields {
                body.mode = try request.query["mode"].map { (m) throws(BadRequest) in try mode(m) }
                body.session = try request.query["session"].map { (s) throws(BadRequest) in try session(s) }
                body.ttlMs = try request.integer("ttl", in: 1...EphemeralType.maxTTL)
            }
        case "application/json", nil:
            let json = try parseJSONBody(request) { "The body is not valid JSON: \($0)." }
            guard let object = json.objectValue else {
                throw BadRequest(field: "body", detail: "The body must be a JSON object, not \(json.typeName).")
            }
            try body.read(object, allowCreateFields: allowCreateFields)
            // One place for each field: a JSON body carries them, so the query must not.
            if allowCreateFields, let extra = ["mode", "session", "ttl"].first(where: { request.query[$0] != nil }) {
                throw BadRequest(field: extra,
                    detail: "With a JSON body, give \(extra) in the body; the query form is for raw (octet-stream) bodies.")
            }
        default:
            throw BadRequest(field: "Content-Type",
                detail: "Send application/json or application/octet-stream, not \(type.map { $0.isEmpty ? "an empty type" : $0 } ?? "").")
        }
        return body
    }

    /// The media type of a Content-Type value: parameters and surrounding blanks dropped,
    /// lowercased. Byte by byte, as String's Unicode-aware split and case mapping cost more
    /// than the rest of a raw write's parsing.
    static func mediaType(_ value: String) -> String {
        var value = value
        return value.withUTF8 { bytes in
            let (start, end) = trimmingBlanks(bytes, start: 0, end: bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count)
            return String(unsafeUninitializedCapacity: end - start) { out in
                for i in start..<end { out[i - start] = asciiLowercase(bytes[i]) }
                return end - start
            }
        }
    }

    mutating func read(_ object: JSONObject, allowCreateFields: Bool) throws(BadRequest) {
        let allowed = allowCreateFields ? ["data", "encoding", "mode", "session", "ttl"] : ["data", "encoding"]
        if let unknown = object.names.first(where: { !allowed.contains($0) }) {
            throw BadRequest(field: unknown, detail: "Unknown member \"\(unknown)\"; allowed: \(allowed.joined(separator: ", ")).")
        }
        data = try Self.data(object)
        if let value = object["mode"], !value.isNull {
            guard let text = value.stringValue else { throw BadRequest(field: "mode", detail: "mode must be a string.") }
            mode = try Self.mode(text)
        }
        if let value = object["session"], !value.isNull {
            guard let text = value.stringValue else {
                throw BadRequest(field: "session", detail: "session must be a string of 16 hex digits.")
            }
            session = try Self.session(text)
        }
        if let value = object["ttl"], !value.isNull {
            guard let ttl = value.int64Value, (1...EphemeralType.maxTTL).contains(ttl) else {
                throw BadRequest(field: "ttl", detail: "ttl must be an integer of milliseconds from 1 to \(EphemeralType.maxTTL).")
            }
            ttlMs = ttl
        }
    }

    /// `data` decoded by `encoding` (utf8, the default, or base64); absent data is empty.
    static func data(_ object: JSONObject) throws(BadRequest) -> [UInt8] {
        var encoding = DataEncoding.utf8
        if let value = object["encoding"], !value.isNull {
            guard let text = value.stringValue, let e = DataEncoding(rawValue: text) else {
                throw BadRequest(field: "encoding", detail: "encoding must be utf8 or base64.")
            }
            encoding = e
        }
        guard let value = object["data"], !value.isNull else { return [] }
        guard let text = value.stringValue else {
            throw BadRequest(field: "data", detail: "data must be a string (utf8 text or base64).")
        }
        if encoding == .utf8 { return Array(text.utf8) }
        guard let bytes = Base64.decode(text) else {
            throw BadRequest(field: "data", detail: "data is not valid padded base64.")
        }
        return bytes
    }

    static func mode(_ text: String) throws(BadRequest) -> CreateMode {
        guard let mode = CreateMode(rawValue: text) else {
            throw BadRequest(field: "mode",
                detail: "mode must be one of \(CreateMode.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return mode
    }

    static func session(_ text: String) throws(BadRequest) -> Int64 {
        guard let id = SessionID.parse(text) else {
            throw BadRequest(field: "session", detail: "session must be 16 hex digits, as POST /v1/sessions returns.")
        }
        return id
    }
}
