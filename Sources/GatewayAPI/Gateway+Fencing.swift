import Coordination
import HTTPCore
import HTTPServer
import Recipes

/// `If-Fencing-Token: <lock>=<token>`: the write applies only while that token holds the lock.
struct Fence: Sendable {
    var lock: String
    var token: Int64

    /// Parses the header; nil when absent.
    static func parse(_ headers: HTTPHeaders) throws(BadRequest) -> Fence? {
        guard let value = headers["If-Fencing-Token"] else { return nil }
        let text = value.trimmingPrefix(" ")
        guard let equals = text.lastIndex(of: "="), let token = Int64(text[text.index(after: equals)...]), token >= 0,
            equals != text.startIndex
        else {
            throw BadRequest(field: "If-Fencing-Token",
                detail: "If-Fencing-Token takes <lock>=<token>, such as printers/3=4294967301, with the token an acquire returned.")
        }
        return Fence(lock: String(text[..<equals]), token: token)
    }
}

extension Gateway {
    /// The fence of the write being served, for the commits it makes.
    @TaskLocal static var fence: Fence?

    /// The failure index that marks a write refused by its fencing token.
    static let fencedIndex = -2

    /// Runs a write handler's work with the request's fence in force.
    func answerWrite(_ request: HTTPRequest, _ context: RequestContext, _ work: @escaping @Sendable () async -> HTTPResponse)
        -> HandlerResult
    {
        let fence: Fence?
        do { fence = try Fence.parse(request.headers) } catch { return .response(error.response) }
        guard let fence else { return answerLater(context, work) }
        return answerLater(context) { await Self.$fence.withValue(fence) { await work() } }
    }

    /// Commits, with a check that the fencing token still holds its lock when the write
    /// carries one: the check is the multi's first operation, so the write and the check are
    /// one atomic step.
    ///
    /// - Throws: `MultiFailure` with `fencedIndex` when the token no longer holds the lock;
    ///   otherwise as `CoordinationBackend.commit`, with indexes of the caller's operations.
    func commitFenced(_ operations: [Operation], session: Int64?) async throws(MultiFailure)
        -> (results: [OperationResult], zxid: Int64)
    {
        guard let fence = Self.fence else { return try await backend.commit(operations, session: session) }
        let check: Operation
        do {
            check = try await locks.fencingCheck(fence.lock, token: fence.token)
        } catch {
            if case .coordination(let cause) = error { throw MultiFailure(index: -1, error: cause) }
            throw MultiFailure(index: Self.fencedIndex, error: .badVersion(locks.root))
        }
        do throws(MultiFailure) {
            let (results, zxid) = try await backend.commit([check] + operations, session: session)
            return (Array(results.dropFirst()), zxid)
        } catch {
            if error.index == 0 { throw MultiFailure(index: Self.fencedIndex, error: error.error) }
            throw MultiFailure(index: error.index > 0 ? error.index - 1 : error.index, error: error.error)
        }
    }

    /// The answer for a write refused by its fence, or nil for any other failure.
    static func fencedProblem(_ failure: MultiFailure) -> HTTPResponse? {
        guard failure.index == fencedIndex, let fence else { return nil }
        return RecipeError.staleFencingToken(lock: fence.lock, token: fence.token).problem()
    }
}
