import Coordination
import HTTPCore
import HTTPServer
import JSON

/// A request that cannot be served as sent: answered 400 with the offending field named.
struct BadRequest: Error {
    let field: String
    let detail: String

    var response: HTTPResponse {
        .problem(.badRequest, type: "invalid-parameter", detail: detail, extra: [("field", JSONWriter.quoted(field))])
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

/// `30s`, `500ms`, `1m` or plain seconds, for `wait` and `Prefer: wait=`.
enum WaitDuration {
    /// Parses a duration into milliseconds; callers clamp it (up to 9 digits are read).
    static func parse(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        var digits = Substring(text)
        var scale: Int64 = 1000
        for (suffix, unit) in units where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            scale = unit
            break
        }
        guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let n = Int64(digits)
        else { return nil }
        return n * scale
    }
}

/// Entity tags in `If-Match` / `If-None-Match`: ours are `"<mzxid>"` or `"<mzxid>.<pzxid>"`.
enum ETagList {
    /// `*` (nil list, wildcard true) or a comma-separated list of well-formed tags.
    /// - Throws: `BadRequest` naming the header when a tag is malformed.
    static func parse(_ value: String, header: String) throws(BadRequest) -> (wildcard: Bool, tags: [String]) {
        if value.trimmingPrefix(" ") == "*" { return (true, []) }
        var tags: [String] = []
        for part in value.split(separator: ",", omittingEmptySubsequences: false) {
            let tag = part.trimmingPrefix(" ").reversed().drop { $0 == " " }.reversed()
            let text = String(tag)
            guard isWellFormed(text) else {
                throw BadRequest(field: header, detail: "\(header) takes * or ETags such as \"42\" (as ETag answers give them).")
            }
            tags.append(text)
        }
        return (false, tags)
    }

    static func isWellFormed(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard bytes.count >= 3, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else { return false }
        let inner = bytes[1..<(bytes.count - 1)]
        let parts = inner.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return (1...2).contains(parts.count)
            && parts.allSatisfy { !$0.isEmpty && $0.count <= 19 && $0.allSatisfy { (0x30...0x39).contains($0) } }
    }
}
