import Coordination
import HTTPCore
import HTTPServer

/// What the audit log (`--audit-log`) records of a request, from the one place every request
/// passes through (`admit`).
extension Gateway {
    /// The paths of an audited request, filled in once they are known (a transaction's after
    /// its body is parsed). Read and written on the request's loop only.
    final class AuditTrail: @unchecked Sendable {
        var paths: [String]
        init(paths: [String]) { self.paths = paths }
    }

    /// Starts the audit of a request that changes something (any method but GET and HEAD,
    /// probes aside): its outcome is recorded when its answer is sent, refusals included.
    /// Renewals are recorded only when refused: a fleet renews every few seconds.
    ///
    /// - Returns: the trail to complete, or nil when the request is not audited this way
    ///   (a refused read is recorded by `auditRefusal`).
    func auditTrail(_ route: Route, _ request: HTTPRequest, principal: String?, _ context: RequestContext) -> AuditTrail? {
        guard let audit, request.method != .get, request.method != .head, route.operation != .operations else { return nil }
        let event: String
        switch (route.operation, request.method) {
        case (.session, .post): event = "session-open"
        case (.session, .delete): event = "session-close"
        case (.session, _): event = "session-renew"
        default: event = "write"
        }
        let trail = AuditTrail(paths: ((try? route.paths(of: request)) ?? []).map(\.string))
        let remote = request.remoteAddress.map { "\($0)" }
        let operation = Self.permission(for: route.operation)?.rawValue ?? route.operation.rawValue
        let method = request.method.rawValue
        let session = Self.auditedSession(route, request)
        context.onAnswer { status, headers in
            if event == "session-renew" && status.code < 400 { return }
            audit.record(AuditLog.Entry(
                event: status.code == 401 || status.code == 403 || status.code == 429 ? "refused" : event,
                principal: principal, remote: remote, operation: operation, method: method, paths: trail.paths,
                session: session ?? headers["Location"].flatMap { $0.split(separator: "/").last.map(String.init) },
                status: status.code, zxid: headers["Zkgate-Index"].flatMap { Int64($0) }))
        }
        return trail
    }

    /// Records a refused request that `auditTrail` does not cover (reads).
    func auditRefusal(_ route: Route, _ request: HTTPRequest, principal: String?, _ response: HTTPResponse) {
        guard let audit else { return }
        audit.record(AuditLog.Entry(
            event: "refused", principal: principal, remote: request.remoteAddress.map { "\($0)" },
            operation: Self.permission(for: route.operation)?.rawValue ?? route.operation.rawValue, method: request.method.rawValue,
            paths: ((try? route.paths(of: request)) ?? []).map(\.string), session: Self.auditedSession(route, request),
            status: response.status.code))
    }

    /// Records a policy reload, or a refused one.
    public func auditPolicyReload(error: String?) {
        audit?.record(AuditLog.Entry(event: "policy-reload", status: error == nil ? 200 : 500, detail: error))
    }

    private static func auditedSession(_ route: Route, _ request: HTTPRequest) -> String? {
        guard case .session(let parameter) = route.target else { return nil }
        return request.parameter(parameter)
    }
}
