/// Why a transaction failed: the index of the first failing operation and its error.
///
/// ZooKeeper reports the same thing in a multi reply: earlier operations say OK, the failing one
/// its code, later ones `RUNTIMEINCONSISTENCY`. A single operation fails at index 0, and so do
/// session transactions.
public struct MultiFailure: Error, Hashable, Sendable {
    /// The position of the failing operation in the transaction.
    public var index: Int
    /// Why it failed.
    public var error: CoordinationError

    public init(index: Int, error: CoordinationError) {
        self.index = index
        self.error = error
    }
}
