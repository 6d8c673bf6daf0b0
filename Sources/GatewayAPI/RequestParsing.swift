import Coordination
import HTTPCore
import HTTPServer
import JSON

/// A request that cannot be served as sent: answered 400 `invalid-parameter` with the
/// offending field named; or, for a JSON body over one of the parser's limits, 413
/// `json-too-complex` naming the limit and its value.
struct BadRequest: Error {
    let field: String
    let detail: String
    /// The parser limit a JSON body exceeds, with its value.
    var limitExceeded: (limit: JSONLimit, max: Int)?

    init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }

    /// A JSON body over a parser limit.
    init(jsonBodyOver error: JSONError, limit: JSONLimit, max: Int) {
        field = "body"
        detail = "The JSON body is too complex: \(error.reason), at byte \(error.offset)."
        limitExceeded = (limit, max)
    }

    var response: HTTPResponse {
        if let (limit, max) = limitExceeded {
            return .problem(.contentTooLarge, type: "json-too-complex", detail: detail,
                extra: [("field", JSONWriter.quoted(field)), ("limit", JSONWriter.quoted(limit.name)), ("max", String(max))])
        }
        return .problem(.badRequest, type: "invalid-parameter", detail: detail, extra: [("field", JSONWriter.quoted(field))])
    }
}

/// The JSON document of a request body, under the parser's default limits (see
/// `JSONParser.Limits`): every route that takes JSON parses it here, or takes what
/// `Gateway.admit` parsed off the loop.
///
/// - Parameter invalid: the detail of the 400 for a body that is not JSON.
/// - Throws: `BadRequest` for the field `body`: 400 for a syntax error, 413
///   `json-too-complex` for a document over a limit.
func parseJSONBody(_ request: HTTPRequest, invalid: (JSONError) -> String) throws(BadRequest) -> JSONValue {
    let parsed = request.parsedBody ?? Result { () throws(JSONError) in try JSONParser.parse(request.body) }
    switch parsed {
    case .success(let json):
        return json
    case .failure(let error):
        if let (limit, max) = error.limitExceeded { throw BadRequest(jsonBodyOver: error, limit: limit, max: max) }
        throw BadRequest(field: "body", detail: invalid(error))
    }
}

extension HTTPRequest {
    /// The znode path named by the route's `{path...}` tail: `/v1/nodes/a/b` is `/a/b`, and
    /// `/v1/nodes/` is the root.
    func nodePath(sequential: Bool = false) throws(CoordinationError) -> ZNodePath {
        let tail = parameter("path") ?? ""
        return try ZNodePath(validating: "/" + tail, sequential: sequential)
    }

    /// A boolean query flag: absent is false; `true`/`1` or `false`/`0`; a bare flag is true.
    func flag(_ name: String) throws(BadRequest) -> Bool {
        guard let value = query[name] else { return false }
        switch value {
        case "", "true", "1": return true
        case "false", "0": return false
        default: throw BadRequest(field: name, detail: "\(name) must be true or false, not '\(value)'.")
        }
    }

    /// An integer query parameter within `range`.
    func integer(_ name: String, in range: ClosedRange<Int64>) throws(BadRequest) -> Int64? {
        guard let value = query[name] else { return nil }
        guard let n = Int64(value), range.contains(n) else {
            throw BadRequest(field: name, detail: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return n
    }
}

/// Entity tags in `If-Match` / `If-None-Match`: ours are `"<mzxid>"` or `"<mzxid>.<pzxid>"`.
enum ETagList {
    /// `*` (nil list, wildcard true) or a comma-separated list of well-formed tags; empty
    /// elements are ignored, as RFC 9110 asks.
    /// - Throws: `BadRequest` naming the header when a tag is malformed.
    static func parse(_ value: String, header: String) throws(BadRequest) -> (wildcard: Bool, tags: [String]) {
        var value = value
        // Over the bytes: every conditional write parses one, and String's Character-wise
        // split and trim cost more than the rest of the request's headers.
        guard let parsed = value.withUTF8(scan) else {
            throw BadRequest(field: header, detail: "\(header) takes * or ETags such as \"42\" (as ETag answers give them).")
        }
        return parsed
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (wildcard: Bool, tags: [String])? {
        let (start, end) = trimmingBlanks(bytes, start: 0, end: bytes.count)
        if end - start == 1 && bytes[start] == UInt8(ascii: "*") { return (true, []) }
        var tags: [String] = []
        var from = start
        while true {
            var comma = from
            while comma < end && bytes[comma] != UInt8(ascii: ",") { comma += 1 }
            let (a, b) = trimmingBlanks(bytes, start: from, end: comma)
            // Empty list elements are ignored (RFC 9110 §5.6.1.2), but a list needs one tag.
            if a < b {
                let tag = UnsafeBufferPointer(rebasing: bytes[a..<b])
                guard isWellFormed(tag) else { return nil }
                tags.append(String(decoding: tag, as: UTF8.self))
            }
            if comma == end { return tags.isEmpty ? nil : (false, tags) }
            from = comma + 1
        }
    }

    /// `"digits"` or `"digits.digits"`, each run 1 to 19 digits (an Int64 zxid).
    static func isWellFormed(_ tag: UnsafeBufferPointer<UInt8>) -> Bool {
        guard tag.count >= 3, tag[0] == UInt8(ascii: "\""), tag[tag.count - 1] == UInt8(ascii: "\"") else { return false }
        var run = 0
        var runs = 1
        for b in tag[1..<(tag.count - 1)] {
            if b == UInt8(ascii: ".") {
                guard run > 0, runs == 1 else { return false }
                runs += 1
                run = 0
            } else {
                guard b &- 0x30 < 10, run < 19 else { return false }
                run += 1
            }
        }
        return run > 0
    }
}

/// The bounds of `start..<end` in a header value without its leading and trailing blanks
/// (SP, HTAB: RFC 9110's optional whitespace).
func trimmingBlanks(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> (Int, Int) {
    var (a, b) = (start, end)
    while a < b && (bytes[a] == 0x20 || bytes[a] == 0x09) { a += 1 }
    while b > a && (bytes[b - 1] == 0x20 || bytes[b - 1] == 0x09) { b -= 1 }
    return (a, b)
}
