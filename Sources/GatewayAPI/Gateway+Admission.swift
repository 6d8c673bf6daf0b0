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
    ///    request names must be the principal's (their owner records read in a task);
    /// 5. the handler runs, back on the request's loop.
    func admit(_ route: Route) -> HTTPHandler {
        let writes = route.operation == .write
        let pathsInBody = route.target == .transaction
        guard let slot = accessSlot else {
            return { [self] request, context in
                // A read without a body, unaudited, has nothing to check: the hot path.
                if !writes, audit == nil, request.body.isEmpty { return route.handler(request, context) }
                let trail = auditTrail(route, request, principal: nil, context)
                if writes, !pathsInBody, let refusal = internalRefusal(route, request) { return .response(refusal) }
                let admitted = Admitted(route: route, known: nil, trail: trail)
                return withBody(admitted, request, context, parseSmall: pathsInBody || trail != nil)
            }
        }
        // Probes, metrics and the contract are everyone's, whatever credentials come along.
        if route.operation == .operations { return route.handler }
        // Read once here, not from the route on every request.
        let handler = route.handler
        let sessionTarget: Bool = if case .session = route.target { true } else { false }
        let oneNode = OneNode(route)
        return { [self] request, context in
            let access = state(context).access
            let control = access.refresh(from: slot)
            let memo: ConnectionPrincipal
            switch authenticate(request, context, access, control) {
            case .principal(let m): memo = m
            case .refused(let response):
                auditRefusal(route, request, principal: nil, response)
                return .response(response)
            }
            let known = memo.known
            context.principal = known.name
            let trail = audit == nil ? nil : auditTrail(route, request, principal: known.name, context)
            if let limit = options.rateLimit {
                let principal = known.principal
                if access.limiter == nil { access.limiter = RateLimiter(limit: limit.share(of: options.threads)) }
                let key: RateLimiter.Key = principal.kind == .anonymous ? .anonymous(request.remoteAddress?.host) : .principal(principal)
                if let wait = access.limiter!.spend(key, now: context.loop.now) {
                    return refuse(route, known, trail, request, .problem(.tooManyRequests, type: "rate-limited",
                        detail: "\(principal) is over its request rate; retry after \(wait) s.", headers: ["Retry-After": String(wait)]))
                }
            }
            let allowed = oneNode.map { allowsAtOnce($0, request, known.rules, memo) } ?? false
            if !allowed, let refusal = refusal(route, request, known) { return refuse(route, known, trail, request, refusal) }
            if writes, !pathsInBody, let refusal = internalRefusal(route, request) { return .response(refusal) }
            // Nothing in a body to read or decide, no session to look up: a device's everyday
            // request goes straight to its handler.
            if request.body.isEmpty, !pathsInBody, known.rules.isAdministrator || !(sessionTarget || request.query["session"] != nil) {
                return call(handler, known, access, request, context)
            }
            return withBody(Admitted(route: route, known: known, trail: trail), request, context, parseSmall: true)
        }
    }

    /// A request on its way through `admit`: its route, and under a policy its principal and
    /// rules; its audit trail when audited.
    struct Admitted: Sendable {
        let route: Route
        let known: KnownPrincipal?
        let trail: AuditTrail?
    }

    /// Parses a JSON body into `request.parsedBody`, then goes on with `afterBody`: off the
    /// loop when the body is large, inline when it is small and `parseSmall` (a decision or
    /// the audit needs it); otherwise the handler parses it when it needs it.
    private func withBody(_ admitted: Admitted, _ request: HTTPRequest, _ context: RequestContext, parseSmall: Bool)
        -> HandlerResult
    {
        guard admitted.route.takesJSONBody, !request.body.isEmpty, request.parsedBody == nil, Self.mayBeJSON(request) else {
            return afterBody(admitted, request, context)
        }
        if request.body.count < Self.offloadedBodyBytes {
            guard parseSmall else { return afterBody(admitted, request, context) }
            var request = request
            request.parsedBody = Result { () throws(JSONError) in try JSONParser.parse(request.body) }
            return afterBody(admitted, request, context)
        }
        return context.offload({ Result { () throws(JSONError) in try JSONParser.parse(request.body) } }) { [self] parsed, context in
            var request = request
            request.parsedBody = parsed
            return afterBody(admitted, request, context)
        }
    }

    /// The checks that need the body: a transaction's paths, and the device sessions the
    /// request names (their owner looked up in a task); then the handler.
    private func afterBody(_ admitted: Admitted, _ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        if admitted.route.target == .transaction {
            admitted.trail?.paths = Self.transactionPaths(request)
            if let refusal = internalRefusal(admitted.route, request) { return .response(refusal) }
            if let known = admitted.known, let refusal = refusal(transaction: request, known.principal, known.rules) {
                return refuse(admitted, request, refusal)
            }
        }
        guard let known = admitted.known else { return admitted.route.handler(request, context) }
        let sessions = known.rules.isAdministrator ? [] : Self.namedSessions(admitted.route, request)
        guard !sessions.isEmpty else { return call(admitted.route.handler, known, state(context).access, request, context) }
        let owner = known.name
        return context.suspend({ [self] () async -> Int64? in
            for id in sessions where await !owns(owner, id) { return id }
            return nil
        }) { [self] refused, context in
            if let refused { return refuse(admitted, request, Self.notOwner(known.principal, refused)) }
            return call(admitted.route.handler, known, state(context).access, request, context)
        }
    }

    /// Runs the handler with its principal and rules at hand (`LoopAccess.current`), for the
    /// handlers that filter what they return or check a token's session.
    private func call(
        _ handler: HTTPHandler, _ known: KnownPrincipal, _ access: LoopAccess, _ request: HTTPRequest, _ context: RequestContext
    ) -> HandlerResult {
        access.handling = known
        defer { access.handling = nil }
        return handler(request, context)
    }

    /// Answers a refusal, recording it in the audit log when the request's trail does not.
    private func refuse(_ admitted: Admitted, _ request: HTTPRequest, _ response: HTTPResponse) -> HandlerResult {
        refuse(admitted.route, admitted.known, admitted.trail, request, response)
    }

    private func refuse(
        _ route: Route, _ known: KnownPrincipal?, _ trail: AuditTrail?, _ request: HTTPRequest, _ response: HTTPResponse
    ) -> HandlerResult {
        if trail == nil { auditRefusal(route, request, principal: known?.name, response) }
        return .response(response)
    }

    /// 403 `internal-node` when a node write touches an internal subtree
    /// (`CoordinationBackend.internalRoots`), or would delete one with its parent. A request
    /// whose paths cannot be read is left to its handler, which answers it 400.
    func internalRefusal(_ route: Route, _ request: HTTPRequest) -> HTTPResponse? {
        guard let paths = try? route.paths(of: request) else { return nil }
        let recursive = route.deletesSubtree(request)
        // The root is never deleted, recursively or not: refused here alike on every backend,
        // before a recursive delete would list the whole tree.
        if request.method == .delete, paths.contains(where: \.isRoot) {
            return CoordinationError.badArguments("the root node cannot be deleted").problem()
        }
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
