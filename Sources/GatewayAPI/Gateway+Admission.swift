import Authorization
import Coordination
import HTTPCore
import HTTPServer
import JSON

extension Gateway {
    /// JSON bodies from this size up are parsed on the server's bulk loop. Below it parsing
    /// costs at most about a millisecond (the worst shapes parse at some 80 MB/s), which a
    /// serving loop absorbs; above it, up to the 1 MiB body limit, it would cost everyone on
    /// that loop up to 13 ms.
    static let offloadedBodyBytes = 64 << 10

    /// What every request passes through before its route's handler, in this order:
    /// 1. under a policy, authentication (401) and the decision on the route's target paths
    ///    (403), so a refused request costs no parsing;
    /// 2. node writes into the internal subtrees are refused (with or without a policy);
    /// 3. a JSON body is parsed (off the loop when large) and kept for the handler;
    /// 4. a transaction is decided on its operations' paths, and the device sessions the
    ///    request names must be the principal's (looked up in a task when not cached);
    /// 5. the handler runs, back on the request's loop.
    func admit(_ route: Route) -> HTTPHandler {
        let handler = route.handler
        let writes = route.operation == .write
        let pathsInBody = route.target == .transaction
        guard let slot = accessSlot else {
            return { [self] request, context in
                if writes, !pathsInBody, let refusal = internalRefusal(route, request) { return .response(refusal) }
                return withBody(request, context, parseSmall: pathsInBody) { request, context in
                    if pathsInBody, let refusal = self.internalRefusal(route, request) { return .response(refusal) }
                    return handler(request, context)
                }
            }
        }
        return { [self] request, context in
            let access = state(context).access
            let control = access.refresh(from: slot)
            let principal: Principal
            switch authenticate(request, context, access, control) {
            case .principal(let p): principal = p
            case .refused(let response): return .response(response)
            }
            let known = access.known(principal, in: control)
            context.principal = known.name
            if let refusal = refusal(route, request, known) { return .response(refusal) }
            if writes, !pathsInBody, let refusal = internalRefusal(route, request) { return .response(refusal) }
            // Local functions rather than closures: a request that needs neither its body parsed
            // nor a session's owner looked up (every GET of a node) calls them directly, and no
            // closure context is allocated for it.
            @Sendable func call(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
                let access = self.state(context).access
                access.handling = known
                defer { access.handling = nil }
                return handler(request, context)
            }
            @Sendable func proceed(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
                if pathsInBody {
                    if let refusal = self.internalRefusal(route, request) { return .response(refusal) }
                    if let refusal = self.refusal(transaction: request, known.principal, known.rules) { return .response(refusal) }
                }
                let sessions = known.rules.isAdministrator ? [] : Self.namedSessions(route, request)
                guard !sessions.isEmpty else { return call(request, context) }
                let owner = known.name
                return context.suspend({ () async -> Int64? in
                    for id in sessions where await self.owner(of: id) != owner { return id }
                    return nil
                }) { refused, context in
                    if let refused { return .response(Self.notOwner(known.principal, refused)) }
                    return call(request, context)
                }
            }
            guard !request.body.isEmpty else { return proceed(request, context) }
            return withBody(request, context, parseSmall: true, proceed)
        }
    }

    /// Parses a JSON body into `request.parsedBody` before `next`: off the loop when it is
    /// large, inline when it is small and `parseSmall` (the decision needs it); otherwise the
    /// handler parses it when it needs it.
    private func withBody(
        _ request: HTTPRequest, _ context: RequestContext, parseSmall: Bool,
        _ next: @escaping @Sendable (HTTPRequest, RequestContext) -> HandlerResult
    ) -> HandlerResult {
        guard !request.body.isEmpty, request.parsedBody == nil, Self.mayBeJSON(request) else { return next(request, context) }
        let parse: @Sendable () -> Result<JSONValue, JSONError> = {
            Result { () throws(JSONError) in try JSONParser.parse(request.body) }
        }
        if request.body.count < Self.offloadedBodyBytes {
            guard parseSmall else { return next(request, context) }
            var request = request
            request.parsedBody = parse()
            return next(request, context)
        }
        return context.offload(parse) { parsed, context in
            var request = request
            request.parsedBody = parsed
            return next(request, context)
        }
    }

    /// 403 `internal-node` when a node write touches an internal subtree
    /// (`CoordinationBackend.internalRoots`), or would delete one with its parent. A request
    /// whose paths cannot be read is left to its handler, which answers it 400.
    func internalRefusal(_ route: Route, _ request: HTTPRequest) -> HTTPResponse? {
        guard let paths = try? route.paths(of: request) else { return nil }
        let recursive = request.method == .delete && request.query["recursive"].map { $0 != "false" && $0 != "0" } == true
        for path in paths {
            for root in backend.internalRoots where path.isWithin(root) || (recursive && path.isAncestor(of: root)) {
                return .problem(.forbidden, type: "internal-node",
                    detail: "\(root) holds the gateway's own records and is not written through the node API.",
                    extra: [("path", JSONWriter.quoted(path.string))])
            }
        }
        return nil
    }

    /// Whether a route taking JSON would parse this body: raw node data
    /// (`application/octet-stream`) is stored as sent.
    static func mayBeJSON(_ request: HTTPRequest) -> Bool {
        guard let type = request.headers["Content-Type"] else { return true }
        return WriteBody.mediaType(type) != "application/octet-stream"
    }
}
