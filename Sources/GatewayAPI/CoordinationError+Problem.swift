import Coordination
import HTTPCore
import HTTPServer
import JSON
import Recipes

/// An error with rows in the problem table, for code that answers whatever its work throws.
protocol ProblemConvertible: Error {
    /// The problem+json answer.
    var problemResponse: HTTPResponse { get }
}

extension CoordinationError: ProblemConvertible {
    var problemResponse: HTTPResponse { problem() }
}

extension RecipeError: ProblemConvertible {
    var problemResponse: HTTPResponse { problem() }
}

extension CoordinationError {
    /// The one table from coordination errors to HTTP: status, problem type, and whether the
    /// client should retry later.
    var httpStatus: HTTPStatus {
        switch self {
        case .noNode: .notFound
        case .sessionExpired: .notFound
        case .nodeExists, .notEmpty, .noChildrenForEphemerals: .conflict
        case .badVersion: .preconditionFailed
        case .badArguments, .invalidPath: .badRequest
        case .dataTooLarge: .contentTooLarge
        case .unimplemented: .notImplemented
        case .connectionLoss, .operationTimeout, .unavailable: .serviceUnavailable
        case .quotaExceeded, .storageFull: .insufficientStorage
        case .notAuthorized, .aclDenied: .forbidden
        }
    }

    /// The problem+json answer for this error.
    func problem(extra: [(String, String)] = [], headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        if httpStatus == .serviceUnavailable { headers.add(name: "Retry-After", value: "1") }
        var members = extra
        switch self {
        case .noNode(let path), .nodeExists(let path), .badVersion(let path), .notEmpty(let path),
            .noChildrenForEphemerals(let path), .aclDenied(let path):
            members.append(("path", JSONWriter.quoted(path.string)))
        case .sessionExpired(let id):
            members.append(("session", JSONWriter.quoted(SessionID.format(id))))
        case .quotaExceeded(let size, let quota):
            members.append(("size", String(size)))
            members.append(("quota", String(quota)))
        default:
            break
        }
        return .problem(httpStatus, type: slug, detail: message, extra: members, headers: headers)
    }
}

extension MultiFailure {
    /// A failed multi names the failing operation's index and its reason.
    func problem() -> HTTPResponse {
        guard index >= 0 else { return error.problem() }
        return error.problem(extra: [("failedOp", String(index)), ("reason", JSONWriter.quoted(error.slug))])
    }
}

/// Session ids travel as 16 lowercase hex digits: JSON numbers lose precision past 2^53.
enum SessionID {
    static func format(_ id: Int64) -> String { SessionText.format(id) }

    static func parse(_ text: String) -> Int64? {
        guard text.utf8.count == 16, let value = UInt64(text, radix: 16) else { return nil }
        return Int64(bitPattern: value)
    }
}

extension RecipeError {
    /// The recipes' rows of the table: their own cases, and the coordination errors as above.
    func problem() -> HTTPResponse {
        switch self {
        case .coordination(let error):
            return error.problem()
        case .lockHeld(let lock, let holder, let position):
            return .problem(.conflict, type: "lock-held",
                detail: "The lock \(lock) was not granted within the wait; the request left the queue.",
                extra: [("lock", JSONWriter.quoted(lock)), ("holder", holder.map(RecipeJSON.entry) ?? "null"),
                    ("position", String(position))])
        case .notHolder(let name, let token):
            return .problem(.conflict, type: "not-holder", detail: "Token \(token) does not hold \(name).",
                extra: [("name", JSONWriter.quoted(name)), ("token", String(token))])
        case .notPermitted(let name):
            return .problem(.forbidden, type: "forbidden",
                detail: "The hold or candidacy in \(name) belongs to a session of another principal.",
                extra: [("name", JSONWriter.quoted(name))])
        case .staleFencingToken(let lock, let token):
            return .problem(.preconditionFailed, type: "fencing-token-stale",
                detail: "Token \(token) no longer holds the lock \(lock); the write was not applied.",
                extra: [("lock", JSONWriter.quoted(lock)), ("token", String(token))])
        case .contenderLost(let name):
            return .problem(.conflict, type: "contender-lost",
                detail: "The request's place in \(name) was removed while it waited.",
                extra: [("name", JSONWriter.quoted(name))])
        case .layerNotObject(let layer, let detail):
            return .problem(.unprocessableContent, type: "config-layer-not-object",
                detail: "The configuration layer \(layer) cannot be merged: \(detail).",
                extra: [("layer", JSONWriter.quoted(layer.string))])
        case .invalidName(let name, let reason):
            return .problem(.badRequest, type: "invalid-name", detail: "Invalid name \"\(name)\": \(reason).",
                extra: [("name", JSONWriter.quoted(name))])
        }
    }
}
