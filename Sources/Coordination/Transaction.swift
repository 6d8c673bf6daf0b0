/// A unit of change to a ``DataTree``, applied atomically under one zxid and written as one
/// write-ahead-log record (see ``encode()``).
public enum Transaction: Hashable, Sendable {
    /// A single operation or a multi, on behalf of `session` if given. All succeed or none do.
    /// A session that is given must be live, as ZooKeeper checks the session on every write;
    /// ephemeral creates need one.
    case operations([Operation], session: Int64?)
    /// Adds a session to the table. Ids that collide with ZooKeeper's encodings of other node
    /// types (see ``EphemeralType/isValidSessionID(_:)``), ids already present, and timeouts
    /// under 1 ms are rejected with ``CoordinationError/badArguments(_:)``.
    case createSession(id: Int64, timeoutMs: Int64)
    /// Removes a session and deletes its ephemerals in one step (a close or an expiry).
    /// Closing an unknown session succeeds and changes nothing.
    case closeSession(id: Int64)
}
