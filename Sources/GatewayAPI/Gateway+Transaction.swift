import Coordination
import HTTPCore
import HTTPServer
import JSON

extension Gateway {
    /// The transaction route: several writes applied atomically.
    var transactionRoutes: [Route] {
        [
            Route(.post, "/v1/txn", .write, .transaction) { [self] in transaction($0, $1) },
        ]
    }

    /// POST /v1/txn: `{"ops": [...], "session": "..."}` applied atomically (ZooKeeper multi).
    /// A failure names the failing operation (`failedOp`) and its `reason`.
    func transaction(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let operations: [Operation]
        let session: Int64?
        do {
            (operations, session) = try Self.parseTransaction(request)
        } catch let error as BadRequest {
            return .response(error.response)
        } catch let error as CoordinationError {
            return .response(error.problem())
        } catch {
            return .response(Self.unexpected())
        }
        return answerWrite(request, context) { [self] in
            do throws(MultiFailure) {
                let (results, zxid) = try await commitFenced(operations, session: session)
                var w = JSONWriter()
                w.beginObject()
                w.key("index"); w.number(zxid)
                w.key("results")
                w.beginArray()
                for result in results {
                    w.beginObject()
                    switch result {
                    case .created(let path, let stat):
                        w.key("op"); w.string("create")
                        w.key("path"); w.string(path.string)
                        w.key("stat"); NodeRepresentation.writeStat(stat, into: &w)
                    case .setData(let stat):
                        w.key("op"); w.string("set")
                        w.key("stat"); NodeRepresentation.writeStat(stat, into: &w)
                    case .deleted:
                        w.key("op"); w.string("delete")
                    case .checked:
                        w.key("op"); w.string("check")
                    }
                    w.endObject()
                }
                w.endArray()
                w.endObject()
                return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Zkgate-Index": String(zxid)],
                    body: w.bytes)
            } catch {
                return Self.fencedProblem(error) ?? error.problem()
            }
        }
    }

    static let maxTransactionOps = 1000

    static func parseTransaction(_ request: HTTPRequest) throws -> ([Operation], Int64?) {
        let json = try parseJSONBody(request) { "The body is not valid JSON: \($0)." }
        guard let object = json.objectValue else { throw BadRequest(field: "body", detail: "The body must be a JSON object.") }
        if let unknown = object.names.first(where: { $0 != "ops" && $0 != "session" }) {
            throw BadRequest(field: unknown, detail: "Unknown member \"\(unknown)\"; allowed: ops, session.")
        }
        var session: Int64?
        if let value = object["session"], !value.isNull {
            guard let text = value.stringValue else { throw BadRequest(field: "session", detail: "session must be a string.") }
            session = try WriteBody.session(text)
        }
        guard let ops = object["ops"]?.arrayValue, !ops.isEmpty, ops.count <= maxTransactionOps else {
            throw BadRequest(field: "ops", detail: "ops must be an array of 1 to \(maxTransactionOps) operations.")
        }
        var operations: [Operation] = []
        for (i, op) in ops.enumerated() {
            guard let fields = op.objectValue else { throw BadRequest(field: "ops[\(i)]", detail: "ops[\(i)] must be an object.") }
            do {
                operations.append(try parseOperation(fields, at: i))
            } catch let error as BadRequest where !error.field.hasPrefix("ops[") {
                throw BadRequest(field: "ops[\(i)].\(error.field)", detail: "ops[\(i)]: \(error.detail)")
            }
        }
        return (operations, session)
    }

    static func parseOperation(_ fields: JSONObject, at i: Int) throws -> Operation {
        let name = "ops[\(i)]"
        guard let kind = fields["op"]?.stringValue else {
            throw BadRequest(field: name + ".op", detail: "\(name).op must be create, set, delete or check.")
        }
        let allowed: [String]
        switch kind {
        case "create": allowed = ["op", "path", "data", "encoding", "mode", "ttl"]
        case "set": allowed = ["op", "path", "data", "encoding", "version"]
        case "delete", "check": allowed = ["op", "path", "version"]
        default: throw BadRequest(field: name + ".op", detail: "\(name).op must be create, set, delete or check.")
        }
        if let unknown = fields.names.first(where: { !allowed.contains($0) }) {
            throw BadRequest(field: "\(name).\(unknown)", detail: "Unknown member \"\(unknown)\" in a \(kind) operation.")
        }
        guard let pathText = fields["path"]?.stringValue else {
            throw BadRequest(field: name + ".path", detail: "\(name).path must be a string.")
        }
        var version = Operation.anyVersion
        if let value = fields["version"] {
            guard let v = value.int64Value, (-1...Int64(Int32.max)).contains(v) else {
                throw BadRequest(field: name + ".version", detail: "\(name).version must be an integer from -1 to \(Int32.max).")
            }
            version = Int32(v)
        }
        switch kind {
        case "create":
            var body = WriteBody()
            try body.read(JSONObject(fields.members.filter { $0.name != "op" && $0.name != "path" }), allowCreateFields: true)
            let mode = body.mode ?? .persistent
            if mode.isTTL != (body.ttlMs != nil) {
                throw BadRequest(field: name + ".ttl", detail: "ttl is required for ttl modes and allowed only for them.")
            }
            let path = try ZNodePath(validating: pathText, sequential: mode.isSequential)
            return .create(path: path, data: body.data, mode: mode, ttlMs: body.ttlMs)
        case "set":
            return .setData(path: try ZNodePath(validating: pathText), data: try WriteBody.data(fields), version: version)
        case "delete":
            return .delete(path: try ZNodePath(validating: pathText), version: version)
        default:
            return .check(path: try ZNodePath(validating: pathText), version: version)
        }
    }
}
