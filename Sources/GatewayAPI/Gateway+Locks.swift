import Coordination
import HTTPCore
import HTTPServer
import JSON
import Recipes

extension Gateway {
    /// Locks below the locks root.
    var lockRoutes: [Route] {
        let named = RouteTarget.znode(root: options.roots.locks, parameters: ["path"])
        return [
            Route(.post, "/v1/locks/{path...}", .lock, named) { [self] in acquireLock($0, $1) },
            Route(.get, "/v1/locks/{path...}", .read, named) { [self] in getLock($0, $1) },
            Route(.delete, "/v1/locks/{path...}", .lock, named) { [self] in releaseLock($0, $1) },
        ]
    }

    /// POST `{"session", "wait"}`: joins the lock's fair queue and waits (a long-poll) until
    /// granted (200 with the fencing token) or until the wait ends (409, the caller having left
    /// the queue). A client that goes away while waiting leaves the queue too.
    func acquireLock(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let name = request.parameter("path") ?? ""
        let session: Int64
        let wait: Duration
        do {
            let body = try RecipeBody(request, allowed: ["session", "wait"], example: #"{"session": "…", "wait": "30s"}"#)
            session = try body.session()
            wait = try body.wait(limits: waitLimits)
        } catch {
            return .response(error.response)
        }
        return answerLaterCancellable(context, waits: wait > .zero) { [locks] in
            do throws(RecipeError) {
                let grant = try await locks.acquire(name, session: session, wait: wait)
                var w = JSONWriter()
                w.beginObject()
                w.key("lock"); w.string(name)
                w.key("token"); w.number(grant.entry.token)
                w.key("holder"); RecipeJSON.write(grant.entry, to: &w)
                w.key("acquiredAt"); w.number(grant.acquiredAt)
                w.endObject()
                return Self.recipeResponse(w.bytes, index: grant.entry.token)
            } catch {
                return error.problem()
            }
        }
    }

    /// GET: the holder and the queue, as a long-poll with `?index=`.
    func getLock(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let name = request.parameter("path") ?? ""
        return recipePoll(request, context) { [locks] () throws(RecipeError) in
            let state = try await locks.state(name)
            var w = JSONWriter()
            w.beginObject()
            w.key("lock"); w.string(name)
            w.key("holder")
            if let holder = state.holder { RecipeJSON.write(holder, to: &w) } else { w.null() }
            w.key("queue")
            w.beginArray()
            for contender in state.waiting {
                w.beginObject()
                w.key("node"); w.string(contender.name)
                w.key("session")
                if let session = contender.session { w.string(SessionID.format(session)) } else { w.null() }
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return RecipeView(index: state.index, changeIndex: state.changeIndex, paths: try locks.watchedPaths(name),
                response: Self.recipeResponse(w.bytes, index: state.index))
        }
    }

    /// DELETE `?token=`: releases the lock held with that token (409 when it holds nothing).
    func releaseLock(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let name = request.parameter("path") ?? ""
        let token: Int64
        do { token = try request.token() } catch { return .response(error.response) }
        let permitted = sessionPermission(context)
        return answerLater(context) { [locks] in
            do throws(RecipeError) {
                try await locks.release(name, token: token, permitted: permitted)
                return HTTPResponse(status: .noContent)
            } catch {
                return error.problem()
            }
        }
    }
}
