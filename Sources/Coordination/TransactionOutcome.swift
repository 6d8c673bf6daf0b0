/// The result of ``DataTree/apply(_:zxid:time:)``.
public struct TransactionOutcome: Hashable, Sendable {
    /// The zxid the transaction was applied under.
    public var zxid: Int64
    /// One result per operation (none for session transactions), or the first failure.
    public var result: Result<[OperationResult], MultiFailure>
    /// The watch events to fire, in ZooKeeper's order; empty when the transaction failed.
    public var events: [WatchEvent]

    public init(zxid: Int64, result: Result<[OperationResult], MultiFailure>, events: [WatchEvent]) {
        self.zxid = zxid
        self.result = result
        self.events = events
    }
}
