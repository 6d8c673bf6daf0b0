/// The session's state as the layer above sees it.
public enum SessionState: Equatable, Sendable {
    /// Not yet connected for the first time.
    case connecting
    /// Connected to a member, with the negotiated timeout.
    case connected(sessionId: Int64, timeoutMs: Int32, readOnly: Bool)
    /// The connection is gone; the session may still be alive on the ensemble. Requests wait
    /// (up to the session timeout) for a reconnect; those in flight failed with
    /// `connectionLoss`.
    case suspended
    /// The ensemble expired the session. The client starts a new one on its own; the state
    /// that belonged to the old one (ephemerals, watches) is gone.
    case expired(sessionId: Int64)
    /// The server refused our credentials. Terminal.
    case authFailed
    /// `close()` finished. Terminal.
    case closed
}
