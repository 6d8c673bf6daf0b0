import Coordination
import HTTPCore
import HTTPServer
import JSON
import Recipes

extension Gateway {
    /// Elections below the elections root.
    var electionRoutes: [Route] {
        let named = RouteTarget.znode(root: options.roots.elections, parameters: ["path"])
        return [
            Route(.post, "/v1/elections/{path...}", .elect, named) { [self] in campaign($0, $1) },
            Route(.get, "/v1/elections/{path...}", .read, named) { [self] in getElection($0, $1) },
            Route(.delete, "/v1/elections/{path...}", .elect, named) { [self] in resign($0, $1) },
        ]
    }

    /// POST `{"session", "value", "wait"}`: campaigns, waiting (a long-poll) until the caller
    /// leads (200) or the wait ends (202 with its position; it stays a candidate).
    func campaign(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let name = request.parameter("path") ?? ""
        let session: Int64
        let wait: Duration
        let value: String
        do {
            let body = try RecipeBody(request, allowed: ["session", "value", "wait"],
                example: #"{"session": "…", "value": "device-7", "wait": "30s"}"#)
            session = try body.session()
            wait = try body.wait(limits: waitLimits)
            value = try body.string("value", maxLength: 65_536) ?? SessionID.format(session)
        } catch {
            return .response(error.response)
        }
        return answerLaterCancellable(context, waits: wait > .zero) { [elections] in
            do throws(RecipeError) {
                let standing = try await elections.campaign(name, session: session, value: Array(value.utf8), wait: wait)
                var w = JSONWriter()
                w.beginObject()
                w.key("election"); w.string(name)
                w.key("leading"); w.bool(standing.position == 0)
                w.key("position"); w.number(standing.position)
                w.key("token"); w.number(standing.candidate.token)
                w.key("candidate"); RecipeJSON.write(standing.candidate, to: &w, value: true)
                w.key("leader")
                if let leader = standing.leader { RecipeJSON.write(leader, to: &w, value: true) } else { w.null() }
                w.endObject()
                return Self.recipeResponse(w.bytes, index: standing.candidate.token,
                    status: standing.position == 0 ? .ok : .accepted)
            } catch {
                return error.problem()
            }
        }
    }

    /// GET: the leader (value and token) and the number of candidates, as a long-poll.
    func getElection(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let name = request.parameter("path") ?? ""
        return recipePoll(request, context) { [elections] () throws(RecipeError) in
            let state = try await elections.state(name)
            var w = JSONWriter()
            w.beginObject()
            w.key("election"); w.string(name)
            w.key("leader")
            if let leader = state.leader { RecipeJSON.write(leader, to: &w, value: true) } else { w.null() }
            w.key("candidates"); w.number(state.candidates)
            w.endObject()
            return RecipeView(index: state.index, changeIndex: state.changeIndex, paths: try elections.watchedPaths(name),
                response: Self.recipeResponse(w.bytes, index: state.index))
        }
    }

    /// DELETE `?token=`: withdraws that candidacy (409 when no candidate has the token).
    func resign(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let name = request.parameter("path") ?? ""
        let token: Int64
        do { token = try request.token() } catch { return .response(error.response) }
        let permitted = sessionPermission(context)
        return answerLater(context) { [elections] in
            do throws(RecipeError) {
                try await elections.resign(name, token: token, permitted: permitted)
                return HTTPResponse(status: .noContent)
            } catch {
                return error.problem()
            }
        }
    }
}
