import Synchronization

/// What other threads may read about the session without a trip to the loop: the state, the
/// session id, the last zxid seen, and why the latest attempt to reach a member failed.
/// Written by the driver after each batch of actions.
final class PublishedState: Sendable {
    struct Snapshot: Sendable {
        var state: SessionState = .connecting
        var sessionId: Int64 = 0
        var credentials: SessionCredentials?
        var lastZxid: Int64 = 0
        var timeoutMs: Int32 = 0
        var host: HostAddress?
        /// Why the latest connect attempt failed; nil once a member answers.
        var lastFailure: String?
    }

    let value = Mutex(Snapshot())

    func setState(_ state: SessionState) {
        value.withLock {
            $0.state = state
            if case .connected = state { $0.lastFailure = nil }
        }
    }

    func setFailure(_ reason: String) {
        value.withLock { $0.lastFailure = reason }
    }

    /// Takes the machine `inout` (the driver's own, in place): passed by value, the whole
    /// machine was copied, retaining every buffer in it, after each batch of actions.
    func update(_ machine: inout SessionMachine) {
        let (sessionId, lastZxid, timeoutMs) = (machine.sessionId, machine.lastZxid, machine.negotiatedTimeoutMs)
        let host = machine.isConnected ? machine.currentHost : nil
        // Only while connected: an attached session's id is not its own until the ensemble
        // has accepted it.
        let credentials = machine.isConnected ? machine.credentials : nil
        value.withLock {
            $0.sessionId = sessionId
            if let credentials { $0.credentials = credentials } else if sessionId == 0 { $0.credentials = nil }
            $0.lastZxid = lastZxid
            $0.timeoutMs = timeoutMs
            $0.host = host
        }
    }

    var snapshot: Snapshot { value.withLock { $0 } }
}

/// What a client's event stream carries: watch notifications (paths relative to the chroot)
/// and session state changes, in the order the client saw them.
public enum ClientEvent: Equatable, Sendable {
    case watch(WatcherEvent)
    case state(SessionState)
    /// Only in streams that ask for them: a write or sync reply raised the zxid seen to this
    /// value. Every notification before the mark is for a transaction at or below it, and
    /// every one after it for a later transaction (the server's commit thread applies,
    /// notifies and replies in one order), so marks give notifications, which carry no zxid in
    /// ZooKeeper 3.8, a tight upper bound. Read replies give no mark: the server sends them
    /// beside the commit thread, with a zxid that may lag a notification already sent.
    case zxid(Int64)
}
