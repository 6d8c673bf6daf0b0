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
                let trail = auditTrail(route, request, principal: nil, context)
                if writes, !pathsInBody, let refusal = internalRefusal(route, request) { return .response(refusal) }
                return withBody(request, context, parseSmall: pathsInBody || trail != nil) { request, context in
                    if pathsInBody {
                        if let trail { trail.paths = Self.transactionPaths(request) }
                        if let refusal = self.internalRefusal(route, request) { return .response(refusal) }
                    }
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
            case .refused(let response):
                auditRefusal(route, request, principal: nil, response)
                return .response(response)
            }
            context.principal = principal.description
            let trail = auditTrail(route, request, principal: principal.description, context)
            // A refusal of a request the trail does not cover is recorded here.
            let refuse: @Sendable (HTTPResponse) -> HandlerResult = { response in
                if trail == nil { self.auditRefusal(route, request, principal: principal.description, response) }
                return .response(response)
            }
            if let limit = options.rateLimit, route.operation != .operations {
                if access.limiter == nil { access.limiter = RateLimiter(limit: limit.share(of: options.threads)) }
                let key: RateLimiter.Key = principal.kind == .anonymous ? .anonymous(request.remoteAddress?.host) : .principal(principal)
                if let wait = access.limiter!.spend(key, now: context.loop.now) {
                    return refuse(.problem(.tooManyRequests, type: "rate-limited",
                        detail: "\(principal) is over its request rate; retry after \(wait) s.", headers: ["Retry-After": String(wait)]))
                }
            }
            let rules = access.rules(for: principal, in: control)
            if let refusal = refusal(route, request, principal, rules) { return refuse(refusal) }
            if writes, !pathsInBody, let refusal = internalRefusal(route, request) { return .response(refusal) }
            return withBody(request, context, parseSmall: true) { request, context in
                if pathsInBody {
                    if let trail { trail.paths = Self.transactionPaths(request) }
                    if let refusal = self.internalRefusal(route, request) { return .response(refusal) }
                    if let refusal = self.refusal(transaction: request, principal, rules) { return refuse(refusal) }
                }
                let sessions = rules.isAdministrator ? [] : Self.namedSessions(route, request)
                let call: @Sendable (HTTPRequest, RequestContext) -> HandlerResult = { request, context in
                    let access = self.state(context).access
                    access.current = (principal, rules)
                    defer { access.current = nil }
                    return handler(request, context)
                }
                guard !sessions.isEmpty else { return call(request, context) }
                let owner = principal.description
                return context.suspend({ () async -> Int64? in
                    for id in sessions where await !self.owns(owner, id) { return id }
                    return nil
                }) { refused, context in
                    if let refused { return refuse(Self.notOwner(principal, refused)) }
                    return call(request, context)
                }
            }
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

    /// The paths a transaction's operations touch; none when its body cannot be read.
    static func transactionPaths(_ request: HTTPRequest) -> [String] {
        ((try? parseTransaction(request))?.0 ?? []).map(\.path.string)
    }

    /// Whether a route taking JSON would parse this body: raw node data
    /// (`application/octet-stream`) is stored as sent.
    static func mayBeJSON(_ request: HTTPRequest) -> Bool {
        guard let type = request.headers["Content-Type"] else { return true }
        return WriteBody.mediaType(type) != "application/octet-stream"
    }
}
