import Authorization
import Coordination
import HTTPCore
import HTTPServer
import JSON
import Recipes

/// What a route needs from a principal: decided once per request, before its handler runs,
/// from the route table (`Route.operation`, `.target`) on the normalized, percent-decoded
/// znode paths the request touches. What a read returns from below or above its target (a
/// subtree's watch feed, a configuration's layers) is filtered by its handler with the same
/// rules (`LoopAccess.current`).
extension Gateway {
    /// The permission a route's operation class needs; nil for probes, metrics and the
    /// contract (served to everyone) and for device sessions (decided by ownership).
    static func permission(for operation: OperationClass) -> Permission? {
        switch operation {
        case .read: .read
        case .write: .write
        case .lock: .lock
        case .elect: .elect
        case .register: .register
        case .admin: .admin
        case .session, .operations: nil
        }
    }

    /// The refusal of a request whose target paths the principal may not touch, or nil.
    /// Transactions are decided on their body (`refusal(transaction:)`).
    func refusal(_ route: Route, _ request: HTTPRequest, _ known: KnownPrincipal) -> HTTPResponse? {
        if route.operation == .admin {
            return known.rules.isAdministrator ? nil : Self.forbidden(known.principal, .admin, "/")
        }
        // A device session belongs to the principal that opened it, and every request without
        // credentials is the same principal: anonymous clients would share their sessions
        // (and could fill `--max-sessions`).
        if route.operation == .session, known.principal.kind == .anonymous {
            return Self.unauthenticated("unauthenticated", "Anonymous requests may not use device sessions; send credentials.",
                invalid: false)
        }
        guard let permission = Self.permission(for: route.operation), route.target != .transaction else { return nil }
        // A path the route cannot build is answered 400 by its handler, which touches nothing.
        guard let paths = try? route.paths(of: request) else { return nil }
        let recursive = route.deletesSubtree(request)
        for path in paths {
            if let refusal = refusal(permission, path, subtree: recursive, known.principal, known.rules) { return refusal }
        }
        return nil
    }

    /// Whether the principal may `permission` the one znode a route's parameters name, decided
    /// over its bytes put together on the stack: no `ZNodePath`, no array, the whole check of
    /// a device's everyday request. Only an allowance is taken from here. Anything else (a
    /// denial, a parameter missing or empty, a path that is not normalized or is a sequential
    /// prefix, one inside an internal subtree) goes through `Route.paths(of:)` and the full
    /// check, which names the refusal or leaves an invalid path to its handler. A path allowed
    /// here but invalid as a znode (too long, a control character) is the handler's 400. The
    /// connection's last allowance (`memo`, for the same principal and rules) is reused.
    func allowsAtOnce(_ target: OneNode, _ request: HTTPRequest, _ rules: PrincipalRules, _ memo: ConnectionPrincipal?) -> Bool {
        guard request.method != .delete else { return false }
        let (permission, root, parameters) = (target.permission, target.root, target.parameters)
        let prefix = root.isRoot ? 0 : root.string.utf8.count
        var length = prefix
        for name in parameters {
            guard let value = request.parameter(name), !value.isEmpty else { return false }
            length &+= 1 &+ value.utf8.count
        }
        guard length <= ZNodePath.maxLength else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { buffer in
            var end = 0
            func append(_ text: String) {
                var text = text
                text.withUTF8 { bytes in
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[end...]).initialize(from: bytes)
                    end &+= bytes.count
                }
            }
            if prefix > 0 { append(root.string) }
            for name in parameters {
                buffer[end] = UInt8(ascii: "/")
                end &+= 1
                append(request.parameter(name)!)
            }
            let path = UnsafeBufferPointer(buffer)
            if let memo, memo.allowed(permission, path) { return true }
            if !rules.isAdministrator, backend.internalRoots.contains(where: { Self.isWithin(path, $0) }) { return false }
            guard rules.decide(permission, utf8: path).isAllowed else { return false }
            memo?.remember(allowed: path, for: permission)
            return true
        }
    }

    /// A route that names one znode by its path parameters, with the permission it needs:
    /// what `allowsAtOnce` decides on. nil for the other routes.
    struct OneNode {
        let permission: Permission
        let root: ZNodePath
        let parameters: [String]

        init?(_ route: Route) {
            guard let permission = Gateway.permission(for: route.operation), route.operation != .admin,
                case .znode(let root, let parameters) = route.target
            else { return nil }
            (self.permission, self.root, self.parameters) = (permission, root, parameters)
        }
    }

    /// Whether the bytes of `path` name `root` or a node below it.
    private static func isWithin(_ path: UnsafeBufferPointer<UInt8>, _ root: ZNodePath) -> Bool {
        var root = root.string
        return root.withUTF8 { root in
            guard path.count >= root.count else { return false }
            var i = 0
            while i < root.count {
                if path[i] != root[i] { return false }
                i &+= 1
            }
            return path.count == root.count || path[root.count] == UInt8(ascii: "/")
        }
    }

    /// The refusal of a transaction any of whose operations the principal may not write,
    /// naming the first such path; nil when every one is allowed or the body cannot be read
    /// (its handler answers that 400).
    func refusal(transaction request: HTTPRequest, _ principal: Principal, _ rules: PrincipalRules) -> HTTPResponse? {
        guard let (operations, _) = try? Self.parseTransaction(request) else { return nil }
        for operation in operations {
            if let refusal = refusal(.write, operation.path, subtree: false, principal, rules) { return refusal }
        }
        return nil
    }

    private func refusal(
        _ permission: Permission, _ path: ZNodePath, subtree: Bool, _ principal: Principal, _ rules: PrincipalRules
    ) -> HTTPResponse? {
        // The gateway's records list every device's session: for administrators only, whatever
        // the grants say.
        if !rules.isAdministrator, backend.internalRoots.contains(where: { path.isWithin($0) || (subtree && path.isAncestor(of: $0)) }) {
            return Self.forbidden(principal, permission, path.string, subtree: subtree)
        }
        // A sequential create's prefix (`/queue/`, `/a/..`) is decided as the node it makes, the
        // counter's digits in place: the prefix is no normalized path, the node (`/queue/0000000007`,
        // `/a/..0000000007`) an ordinary child.
        let decided = path.isSequentialPrefix ? path.string + "0000000000" : path.string
        let decision = subtree ? rules.decideSubtree(permission, path: decided) : rules.decide(permission, path: decided)
        return decision.isAllowed ? nil : Self.forbidden(principal, permission, path.string, subtree: subtree)
    }

    /// 403 naming the operation and the path; 401 instead for a request that sent no
    /// credentials (it may be allowed once it does). Decided before any handler, so a missing
    /// node is refused exactly as a present one.
    static func forbidden(_ principal: Principal, _ permission: Permission, _ path: String, subtree: Bool = false) -> HTTPResponse {
        let what = subtree ? "\(path) and everything below it" : path
        if principal.kind == .anonymous {
            return unauthenticated("unauthenticated", "Anonymous requests may not \(permission.rawValue) \(what); send credentials.",
                invalid: false)
        }
        return .problem(.forbidden, type: "forbidden", detail: "\(principal) may not \(permission.rawValue) \(what).",
            extra: [("operation", JSONWriter.quoted(permission.rawValue)), ("path", JSONWriter.quoted(path))])
    }

    /// 403 for a device session the principal did not open.
    static func notOwner(_ principal: Principal, _ id: Int64) -> HTTPResponse {
        if principal.kind == .anonymous {
            return unauthenticated("unauthenticated", "Anonymous requests may not use device sessions; send credentials.",
                invalid: false)
        }
        return .problem(.forbidden, type: "forbidden",
            detail: "Session \(SessionID.format(id)) belongs to another principal, or has ended.",
            extra: [("operation", JSONWriter.quoted("session")), ("session", JSONWriter.quoted(SessionID.format(id)))])
    }

    /// The device sessions a request names: the route's `{id}`, a `session` query parameter,
    /// or a `session` member of its JSON body (parsed by then). Their owners must be the
    /// principal.
    static func namedSessions(_ route: Route, _ request: HTTPRequest) -> [Int64] {
        var sessions: [Int64] = []
        if case .session(let parameter) = route.target, let id = request.parameter(parameter).flatMap(SessionID.parse) {
            sessions.append(id)
        }
        if let id = request.query["session"].flatMap(SessionID.parse) { sessions.append(id) }
        if case .success(let json)? = request.parsedBody, let text = json.objectValue?["session"]?.stringValue,
            let id = SessionID.parse(text)
        {
            sessions.append(id)
        }
        return sessions
    }
}
