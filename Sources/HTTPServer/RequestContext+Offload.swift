import Reactor
import TLS

extension RequestContext {
    /// Runs `work` away from the event loops, on the server's low-priority bulk loop, and then
    /// `resume` back on this request's loop with its result and a context for the same
    /// request. Meant for work that grows with what a client sent (parsing a large body): on
    /// a serving loop it would delay every other connection there; on the bulk loop it costs
    /// its sender the wait, and the serving loops take the cores first whenever they need
    /// them.
    ///
    /// The request stays parked meanwhile. When the client leaves first, `resume` is not
    /// called; when the server has no bulk loop (`RequestRecorder`), both run here at once.
    /// The handler returns what this returns.
    public func offload<Value: Sendable>(
        _ work: @escaping @Sendable () -> Value,
        then resume: @escaping @Sendable (Value, RequestContext) -> HandlerResult
    ) -> HandlerResult {
        guard let background = source.background else { return resume(work(), self) }
        let resumption = parkForResumption(resume)
        background.execute { resumption(work()) }
        return .deferred
    }

    /// Parks the request while `work` runs in a task on its's loop (a backend lookup the decision needs),
    /// then calls `resume` there as `offload` does. When the client leaves first, `resume` is
    /// not called.
    public func suspend<Value: Sendable>(
        _ work: @escaping @Sendable () async -> Value,
        then resume: @escaping @Sendable (Value, RequestContext) -> HandlerResult
    ) -> HandlerResult {
        let resumption = parkForResumption(resume)
        Task(executorPreference: loop) { resumption(await work()) }
        return .deferred
    }

    /// Parks the request and returns what hands a value back to `resume` on its loop.
    private func parkForResumption<Value: Sendable>(
        _ resume: @escaping @Sendable (Value, RequestContext) -> HandlerResult
    ) -> @Sendable (Value) -> Void {
        let deferred = source.park(onInterrupt: nil)
        let (isSecure, peerIdentity, principal) = (isSecure, peerIdentity, principal)
        return { value in
            deferred.loop.execute {
                guard deferred.target.adopt(deferred.token, onInterrupt: nil) else { return }
                let resumed = ResumedRequest(deferred: deferred, isSecure: isSecure, peerIdentity: peerIdentity, principal: principal)
                let result = withExtendedLifetime(resumed) { resume(value, RequestContext(source: resumed)) }
                if case .response(let response) = result { deferred.respond(response) }
            }
        }
    }
}

/// A parked request handed back to a handler after off-loop work: parking it again yields
/// the handle it already has.
private final class ResumedRequest: RequestSource {
    let deferred: DeferredResponse
    let isSecure: Bool
    let peerIdentity: PeerIdentity?
    /// As it was when the request was parked: the access log took it then.
    var principal: String?
    /// Taken at park time too.
    var answerObserver: AnswerObserver? {
        get { nil }
        set {}
    }
    /// Not the connection's: the request may have left it.
    var connectionMemo: AnyObject? {
        get { nil }
        set {}
    }
    var loop: EventLoop { deferred.loop }
    var background: EventLoop? { nil }

    init(deferred: DeferredResponse, isSecure: Bool, peerIdentity: PeerIdentity?, principal: String?) {
        self.deferred = deferred
        self.principal = principal
        self.isSecure = isSecure
        self.peerIdentity = peerIdentity
    }

    func park(onInterrupt: DeferredResponse.InterruptHandler?) -> DeferredResponse {
        _ = deferred.target.adopt(deferred.token, onInterrupt: onInterrupt)
        return deferred
    }
}
