import Coordination
import Synchronization

extension CoordinationBackend {
    /// A read without waiting when the backend can (the embedded store, or a cached node),
    /// else through it.
    public func readAny(_ path: ZNodePath, children: Bool) async throws(CoordinationError) -> ReadResult {
        if let read = readNow(path, children: children) { return read }
        return try await read(path, children: children)
    }

    /// As `readAny`, but never older than `index`: a cached read that has not yet seen a write
    /// the caller made (its change is still on its way) is passed over for the backend's.
    public func readAny(_ path: ZNodePath, children: Bool, atLeast index: Int64) async throws(CoordinationError) -> ReadResult {
        if let read = readNow(path, children: children), read.index >= index { return read }
        return try await read(path, children: children)
    }

    /// Creates `operations`' last node, first creating its missing ancestors as containers
    /// (as Curator's `creatingParentContainersIfNeeded` does) in the same transaction. An
    /// ancestor created or removed by someone else meanwhile is retried, not reported.
    func createWithContainers(_ create: Operation, session: Int64?) async throws(CoordinationError) -> (ZNodePath, Stat) {
        var missing: [ZNodePath] = []
        for _ in 0..<16 {
            let operations = missing.map { Operation.create(path: $0, data: [], mode: .container) } + [create]
            do throws(MultiFailure) {
                let (results, _) = try await commit(operations, session: session)
                guard case .created(let path, let stat) = results.last else {
                    throw MultiFailure(index: -1, error: .unavailable("unexpected result"))
                }
                return (path, stat)
            } catch {
                switch error.error {
                case .noNode:
                    // A parent is missing, or a container was reaped meanwhile. Reads can lag the
                    // state the create failed against (the embedded store reads durable state),
                    // so the failures themselves find the gap, from the bottom up: usually only
                    // the lock's own node is missing, under a root that exists. Within the
                    // multi each node's parent is the one before it, so only the first can lack
                    // one: then one more ancestor is added.
                    if missing.isEmpty {
                        if let parent = create.path.parent, !parent.isRoot { missing = [parent] }
                    } else if let up = missing[0].parent, !up.isRoot {
                        missing.insert(up, at: 0)
                    }
                case .nodeExists where error.index >= 0 && error.index < missing.count:
                    missing.removeFirst(error.index + 1)
                default:
                    throw error.error
                }
            }
        }
        throw .unavailable("the parents of \(create.path) kept changing")
    }
}

/// The zxid of the last write a recipe made through this process, so that its later reads
/// reflect it (read-your-writes across a recipe's own steps and across requests).
public final class WriteFloor: Sendable {
    private let value = Atomic<Int64>(0)

    public init() {}

    public var index: Int64 { value.load(ordering: .relaxed) }

    public func raise(to zxid: Int64) {
        var current = value.load(ordering: .relaxed)
        while zxid > current {
            let (exchanged, original) = value.compareExchange(expected: current, desired: zxid, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
