import Coordination
import HTTPCore
import HTTPServer
import Recipes

/// A recipe's state as one read sees it.
struct RecipeView: Sendable {
    var index: Int64
    /// Moves whenever the answer would change.
    var changeIndex: Int64
    /// The nodes whose changes move it.
    var paths: Set<ZNodePath>
    var response: HTTPResponse
}

extension Gateway {
    /// Answers a recipe GET, as a long-poll with `?index=N` (and `wait`): it answers once the
    /// state's change index passes N, or with the unchanged state when the wait ends.
    func recipePoll(
        _ request: HTTPRequest, _ context: RequestContext,
        _ read: @escaping @Sendable () async throws(RecipeError) -> RecipeView
    ) -> HandlerResult {
        let index: Int64?
        let waitMs: Int64?
        do {
            index = try request.integer("index", in: 0...Int64.max)
            waitMs = try Self.waitMs(request, max: options.maxWaitMs)
        } catch {
            return .response(error.response)
        }
        let waitNs = UInt64(max(0, waitMs ?? 0)) * 1_000_000
        return answerLaterCancellable(context) { [fanout] in
            let deadline = ContinuousClock.now + .nanoseconds(Int64(waitNs))
            do throws(RecipeError) {
                while true {
                    let view = try await read()
                    guard let index, view.changeIndex <= index, !Task.isCancelled else { return view.response }
                    let left = ContinuousClock.now.duration(to: deadline)
                    let leftNs = left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000
                    guard leftNs > 0 else { return view.response }
                    _ = await fanout.remote.waitForChange(view.paths, after: view.index, timeoutNs: UInt64(leftNs))
                }
            } catch {
                return error.problem()
            }
        }
    }

    /// A JSON answer with the index header.
    static func recipeResponse(_ body: [UInt8], index: Int64, status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Zkgate-Index", value: String(index))
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
