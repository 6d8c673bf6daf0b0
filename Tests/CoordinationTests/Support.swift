import Coordination
import Testing

/// A path that the test knows to be valid.
func path(_ string: String) -> ZNodePath {
    do {
        return try ZNodePath(validating: string)
    } catch {
        fatalError("test path \(string): \(error)")
    }
}

/// A sequential-create prefix that the test knows to be valid.
func prefix(_ string: String) -> ZNodePath {
    do {
        return try ZNodePath(validating: string, sequential: true)
    } catch {
        fatalError("test prefix \(string): \(error)")
    }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// Applies transactions with zxids 1, 2, 3, … and times 1000, 1010, 1020, …, so that every stat
/// value a test asserts is a literal it can compute by hand.
struct Driver {
    var tree = DataTree()
    var zxid: Int64 = 0
    var time: Int64 = 990

    /// The zxid and time the next transaction will get.
    var nextZxid: Int64 { zxid + 1 }
    var nextTime: Int64 { time + 10 }

    @discardableResult
    mutating func apply(_ transaction: Transaction) -> TransactionOutcome {
        zxid += 1
        time += 10
        return tree.apply(transaction, zxid: zxid, time: time)
    }

    @discardableResult
    mutating func run(_ operations: [Operation], session: Int64? = nil) -> TransactionOutcome {
        apply(.operations(operations, session: session))
    }

    /// Runs the operations, records an issue if they fail, and returns their results.
    @discardableResult
    mutating func succeed(
        _ operations: Operation..., session: Int64? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) -> [OperationResult] {
        let outcome = run(operations, session: session)
        switch outcome.result {
        case .success(let results): return results
        case .failure(let failure):
            Issue.record("expected success, got \(failure)", sourceLocation: sourceLocation)
            return []
        }
    }

    /// Runs the operations and returns their failure, recording an issue if they succeed.
    mutating func fail(
        _ operations: Operation..., session: Int64? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) -> MultiFailure? {
        let outcome = run(operations, session: session)
        switch outcome.result {
        case .success(let results):
            Issue.record("expected failure, got \(results)", sourceLocation: sourceLocation)
            return nil
        case .failure(let failure): return failure
        }
    }

    /// Creates persistent nodes with empty data.
    mutating func mkdirs(_ paths: String...) {
        for p in paths { succeed(.create(path: path(p), data: [], mode: .persistent)) }
    }

    mutating func openSession(_ id: Int64, timeoutMs: Int64 = 30_000) {
        let outcome = apply(.createSession(id: id, timeoutMs: timeoutMs))
        if case .failure(let failure) = outcome.result { Issue.record("session \(id): \(failure)") }
    }

    func stat(_ p: String) -> Stat? { tree.node(at: path(p))?.stat }
}

/// The error of a single failing operation, or `nil` when it succeeded.
func error(_ failure: MultiFailure?) -> CoordinationError? { failure?.error }

