import Coordination
import HTTPCore
import HTTPServer
import JSON
import Recipes
import Synchronization

extension Gateway {
    /// Session timeouts accepted, in milliseconds.
    static let sessionTimeouts: ClosedRange<Int64> = 1_000...3_600_000
    static let defaultSessionTimeout: Int64 = 30_000

    /// Device sessions.
    var sessionRoutes: [Route] {
        [
            Route(.post, "/v1/sessions", .session, .none) { [self] in openSession($0, $1) },
            Route(.put, "/v1/sessions/{id}", .session, .session(parameter: "id")) { [self] in renewSession($0, $1) },
            Route(.get, "/v1/sessions/{id}", .session, .session(parameter: "id")) { [self] request, context in
                sessionCall(request, context) { (backend, id) throws(CoordinationError) in try await backend.session(id) }
            },
            Route(.delete, "/v1/sessions/{id}", .session, .session(parameter: "id")) { [self] in closeSession($0, $1) },
        ]
    }

    /// POST /v1/sessions `{"ttl": ms}` (default 30 s).
    func openSession(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        var timeout = Self.defaultSessionTimeout
        if !request.body.isEmpty {
            do throws(BadRequest) {
                let json = try parseJSONBody(request) { "The body is not valid JSON: \($0)." }
                guard let object = json.objectValue else {
                    throw BadRequest(field: "body", detail: "The body must be a JSON object such as {\"ttl\": 30000}.")
                }
                if let unknown = object.names.first(where: { $0 != "ttl" }) {
                    throw BadRequest(field: unknown, detail: "Unknown member \"\(unknown)\"; allowed: ttl.")
                }
                if let value = object["ttl"] {
                    guard let ttl = value.int64Value, Self.sessionTimeouts.contains(ttl) else {
                        throw BadRequest(field: "ttl", detail: "ttl must be an integer of milliseconds from "
                            + "\(Self.sessionTimeouts.lowerBound) to \(Self.sessionTimeouts.upperBound).")
                    }
                    timeout = ttl
                }
            } catch {
                return .response(error.response)
            }
        }
        let ttl = timeout
        // Opens on their way count too, so a burst cannot pass the cap between the check and
        // the backend's count.
        let opening = openingSessions.wrappingAdd(1, ordering: .relaxed).newValue
        guard backend.deviceSessionCount + opening <= options.maxSessions else {
            openingSessions.wrappingSubtract(1, ordering: .relaxed)
            return .response(Self.tooManySessions)
        }
        // Under a policy the session belongs to the principal that opens it.
        let current = accessSlot == nil ? nil : state(context).access.current
        let owner = current?.principal.description
        let capped = current.map { !$0.rules.isAdministrator } ?? false
        return answerLater(context) { [self] in
            defer { openingSessions.wrappingSubtract(1, ordering: .relaxed) }
            do throws(CoordinationError) {
                if capped, let owner, try await sessionCount(of: owner) >= options.maxSessionsPerPrincipal {
                    return Self.tooManySessionsOf(owner, options.maxSessionsPerPrincipal)
                }
                let info = try await backend.openSession(timeoutMs: ttl)
                if let owner {
                    do throws(CoordinationError) {
                        try await recordOwner(info.id, owner)
                    } catch {
                        // A session nobody owns could be used by no one: not handed out.
                        try? await backend.closeSession(info.id)
                        throw error
                    }
                }
                return Self.sessionResponse(info, status: .created)
            } catch {
                return error.problem()
            }
        }
    }

    func closeSession(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        guard let id = request.parameter("id").flatMap(SessionID.parse) else { return .response(Self.badSessionID()) }
        return answerLater(context) { [backend, locks] in
            do throws(CoordinationError) {
                try await backend.closeSession(id)
                _ = await locks.lost(by: id, ended: true)
                return HTTPResponse(status: .noContent)
            } catch {
                return error.problem()
            }
        }
    }

    /// PUT: renews. The answer lists the locks granted to the session through this replica
    /// that it has lost since (`lostLocks`); when the session has ended, the 404 lists them all.
    func renewSession(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        guard let id = request.parameter("id").flatMap(SessionID.parse) else { return .response(Self.badSessionID()) }
        return answerLater(context) { [backend, locks] in
            do throws(CoordinationError) {
                let info = try await backend.renewSession(id)
                return Self.sessionResponse(info, status: .ok, lostLocks: await locks.lost(by: id))
            } catch {
                guard case .sessionExpired = error else { return error.problem() }
                let lost = await locks.lost(by: id, ended: true)
                return error.problem(extra: [("lostLocks", Self.lostLocksJSON(lost))])
            }
        }
    }

    static func lostLocksJSON(_ lost: [Locks.LockToken]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for lock in lost {
            w.beginObject()
            w.key("lock"); w.string(lock.lock)
            w.key("token"); w.number(lock.token)
            w.endObject()
        }
        w.endArray()
        return w.string
    }

    func sessionCall(
        _ request: HTTPRequest, _ context: RequestContext,
        _ call: @escaping @Sendable (any CoordinationBackend, Int64) async throws(CoordinationError) -> SessionInfo
    ) -> HandlerResult {
        guard let id = request.parameter("id").flatMap(SessionID.parse) else { return .response(Self.badSessionID()) }
        return answerLater(context) { [backend] in
            do throws(CoordinationError) {
                var info = try await call(backend, id)
                // The gateway's own records (a session's owner, under a policy) are not the device's.
                info.ephemerals = info.ephemerals?.filter { path in !backend.internalRoots.contains { path.isWithin($0) } }
                return Self.sessionResponse(info, status: .ok)
            } catch {
                return error.problem()
            }
        }
    }

    /// The 429 of a session open over `--max-sessions`.
    static let tooManySessions = HTTPResponse.problem(.tooManyRequests, type: "too-many-sessions",
        detail: "This gateway holds as many device sessions as it allows; retry later, or close sessions that are no longer used.",
        headers: ["Retry-After": "5"])

    /// The 429 of a session open over `--max-sessions-per-principal`.
    static func tooManySessionsOf(_ principal: String, _ limit: Int) -> HTTPResponse {
        .problem(.tooManyRequests, type: "too-many-sessions",
            detail: "\(principal) holds \(limit) device sessions, as many as one principal may; close one, or retry later.",
            headers: ["Retry-After": "5"])
    }

    static func badSessionID() -> HTTPResponse {
        BadRequest(field: "id", detail: "A session id is 16 hex digits, as POST /v1/sessions returns.").response
    }

    /// `{"id", "ttl", "expiresInMs", "ephemerals"?}`.
    static func sessionResponse(_ info: SessionInfo, status: HTTPStatus, lostLocks: [Locks.LockToken]? = nil) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        w.key("id"); w.string(SessionID.format(info.id))
        w.key("ttl"); w.number(info.timeoutMs)
        w.key("expiresInMs"); w.number(info.expiresInMs)
        if let ephemerals = info.ephemerals {
            w.key("ephemerals")
            w.beginArray()
            for path in ephemerals { w.string(path.string) }
            w.endArray()
        }
        if let lostLocks {
            w.key("lostLocks")
            w.raw(lostLocksJSON(lostLocks))
        }
        w.endObject()
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if status == .created { headers.add(name: "Location", value: "/v1/sessions/" + SessionID.format(info.id)) }
        return HTTPResponse(status: status, headers: headers, body: w.bytes)
    }
}
