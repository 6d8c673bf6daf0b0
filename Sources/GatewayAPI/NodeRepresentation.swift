import Coordination
import HTTPCore
import HTTPServer
import JSON

/// How node data travels in JSON: as text when it is UTF-8 (and the client did not ask for
/// base64), otherwise base64.
enum DataEncoding: String, Sendable {
    case utf8
    case base64

    static func natural(for data: [UInt8]) -> DataEncoding {
        // Config data is mostly ASCII, which needs no String built to validate it.
        if data.allSatisfy({ $0 < 0x80 }) { return .utf8 }
        return String(validating: data, as: UTF8.self) == nil ? .base64 : .utf8
    }
}

/// Which representation of a node an answer carries.
struct NodeView: Hashable, Sendable {
    var children: Bool
    /// nil: the natural encoding for the data.
    var encoding: DataEncoding?
    /// `Accept: application/octet-stream`: the raw data, with the stat in headers.
    var raw: Bool
}

enum NodeRepresentation {
    /// The node answer: JSON `{path, data, encoding, stat, children?}` or raw bytes, with
    /// `ETag`, `Zkgate-Index` and (raw) `Zkgate-Stat`.
    static func response(_ node: NodeSnapshot, index: Int64, view: NodeView, status: HTTPStatus = .ok,
                         extraHeaders: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = extraHeaders
        // Room for the four fields added here, so the array grows once, not three times.
        headers.reserveCapacity(headers.count + 4)
        headers.add(name: "ETag", value: etag(node.stat, children: view.children))
        headers.add(name: "Zkgate-Index", value: DecimalText.string(index))
        if view.raw {
            headers.add(name: "Content-Type", value: "application/octet-stream")
            headers.add(name: "Zkgate-Stat", value: statJSON(node.stat, type: node.type))
            return HTTPResponse(status: status, headers: headers, body: node.data)
        }
        // The stat alone is about 250 bytes; base64 and escapes make data longer.
        var w = JSONWriter(capacity: 384 + node.data.count * 2)
        write(node, encoding: view.encoding, into: &w)
        headers.add(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: headers, body: w.bytes)
    }

    static func write(_ node: NodeSnapshot, encoding: DataEncoding?, into w: inout JSONWriter) {
        // `encoding=utf8` cannot carry bytes that are not UTF-8: those go as base64, labelled so.
        let natural = DataEncoding.natural(for: node.data)
        let encoding = natural == .base64 ? .base64 : (encoding ?? natural)
        w.beginObject()
        w.key("path"); w.string(node.path.string)
        w.key("data")
        if encoding == .utf8 { w.string(utf8: node.data) } else { w.string(Base64.encode(node.data)) }
        w.key("encoding"); w.string(encoding.rawValue)
        w.key("stat"); writeStat(node.stat, type: node.type, into: &w)
        if let children = node.children {
            w.key("children")
            w.beginArray()
            for child in children { w.string(child) }
            w.endArray()
        }
        w.endObject()
    }

    /// A strong validator that changes whenever the representation does: mzxid moves with the
    /// data and its stat fields, pzxid with the children and theirs (cversion, numChildren).
    static func etag(_ stat: Stat, children: Bool) -> String {
        DecimalText.quotedPair(stat.mzxid, stat.pzxid)
    }

    static func statJSON(_ stat: Stat, type: EphemeralType? = nil) -> String {
        var w = JSONWriter()
        writeStat(stat, type: type, into: &w)
        return w.string
    }

    /// ZooKeeper's names; ephemeralOwner as 16 hex digits (a session id), 0 for containers and
    /// TTL nodes as ZooKeeper shows them; `type` tells the node kinds apart.
    static func writeStat(_ stat: Stat, type known: EphemeralType? = nil, into w: inout JSONWriter) {
        let type = known ?? EphemeralType(ephemeralOwner: stat.ephemeralOwner)
        // Laid out in a stack buffer and appended once: every node answer carries a stat, and
        // a dozen keys and numbers appended one by one cost five times as much. At most 332
        // bytes: 140 of keys and punctuation, five Int64 and six Int32 numbers (166), 16 hex
        // digits and 10 of type.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 400) { buffer in
            var out = RawWriter(base: buffer.baseAddress!)
            out.write("{\"czxid\":"); out.writeDecimal(stat.czxid)
            out.write(",\"mzxid\":"); out.writeDecimal(stat.mzxid)
            out.write(",\"pzxid\":"); out.writeDecimal(stat.pzxid)
            out.write(",\"ctime\":"); out.writeDecimal(stat.ctime)
            out.write(",\"mtime\":"); out.writeDecimal(stat.mtime)
            out.write(",\"version\":"); out.writeDecimal(Int64(stat.version))
            out.write(",\"cversion\":"); out.writeDecimal(Int64(stat.cversion))
            out.write(",\"aversion\":"); out.writeDecimal(Int64(stat.aversion))
            out.write(",\"ephemeralOwner\":\"")
            out.write(16) { SessionText.write(type?.clientEphemeralOwner ?? stat.ephemeralOwner, to: $0) }
            out.write("\",\"dataLength\":"); out.writeDecimal(Int64(stat.dataLength))
            out.write(",\"numChildren\":"); out.writeDecimal(Int64(stat.numChildren))
            out.write(",\"type\":\""); out.write(typeName(type)); out.write("\"}")
            w.raw(bytes: UnsafeBufferPointer(start: out.base, count: out.count))
        }
    }

    static func typeName(_ type: EphemeralType?) -> StaticString {
        switch type {
        case .session: "ephemeral"
        case .container: "container"
        case .ttl: "ttl"
        case .persistent, .none: "persistent"
        }
    }
}
