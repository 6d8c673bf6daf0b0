import Coordination
import HTTPCore
import HTTPServer
import Recipes
import Waiting

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
        let poll: LongPoll
        do {
            poll = try LongPoll.recipe(request, limits: waitLimits)
        } catch {
            return .response(error.response)
        }
        return waitInTask(context, wait: poll.waits ? poll.wait : nil, poll: { _ throws(RecipeError) in
            let view = try await read()
            let settled = !poll.waits || poll.changed(changeIndex: view.changeIndex, etag: nil)
            return (view, settled ? .done : .waitForChange(view.paths, after: view.index))
        }, render: { view, _ in view.response })
    }

    /// A JSON answer with the index header.
    static func recipeResponse(_ body: [UInt8], index: Int64, status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Zkgate-Index", value: String(index))
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
