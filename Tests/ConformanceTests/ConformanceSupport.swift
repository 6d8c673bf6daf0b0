import Coordination
import Recipes
import Synchronization
import TestSupport
import Testing
import Waiting

/// A failed precondition inside a conformance test (a result of the wrong shape, a missing
/// node), thrown so that the test stops there with a readable message.
struct ConformanceFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// Starts a backend from `factory`, makes the test's own base path
/// `/conformance/<name>-<random>` (never working at the root, since a real ensemble keeps
/// `/zookeeper` there), runs `body`, checks what every test must leave true of the change feed,
/// and tears the backend down, whether or not `body` threw.
func withHarness<T>(
    _ factory: any BackendFactory, _ name: String, _ body: (Harness) async throws -> T
) async throws -> T {
    let changes = ChangeRecorder()
    let instance = try await factory.start(changeSink: { changes.receive($0) })
    changes.attach(instance)
    do {
        let harness = try await Harness(factory: factory, instance: instance, changes: changes, name: name)
        let result = try await body(harness)
        await harness.finish()
        instance.tearDown()
        return result
    } catch {
        instance.tearDown()
        throw error
    }
}

/// One test's backend, base path and change feed.
final class Harness: Sendable {
    let factory: any BackendFactory
    let instance: any BackendInstance
    let changes: ChangeRecorder
    /// The test's own subtree: every node the test makes is below it.
    let base: ZNodePath

    var backend: any CoordinationBackend { instance.backend }
    var capabilities: BackendCapabilities { factory.capabilities }

    fileprivate init(factory: any BackendFactory, instance: any BackendInstance, changes: ChangeRecorder, name: String)
        async throws
    {
        self.factory = factory
        self.instance = instance
        self.changes = changes
        let root = try ZNodePath(validating: "/conformance")
        base = try root.appending("\(name)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))")
        #expect(instance.backend.isReady, "a freshly started backend serves")
        do {
            _ = try await instance.backend.commit([.create(path: root, data: [], mode: .persistent)], session: nil)
        } catch {
            guard case .nodeExists = error.error else { throw error }
        }
        _ = try await instance.backend.commit([.create(path: base, data: [], mode: .persistent)], session: nil)
    }

    /// What every test checks at its end: the change feed kept its promises throughout.
    fileprivate func finish() async {
        for problem in changes.problems {
            Issue.record("change feed: \(problem)")
        }
        if !capabilities.discardsStateOnTearDown { await deleteRecursively(base) }
    }

    // MARK: Paths

    /// The node `relative` below the base path (`"a/b"` is `<base>/a/b`).
    func path(_ relative: String) throws -> ZNodePath {
        try ZNodePath(validating: base.string + "/" + relative)
    }

    /// A sequential-create prefix below the base path (`"q/job-"` or `"q/"`).
    func prefix(_ relative: String) throws -> ZNodePath {
        try ZNodePath(validating: base.string + "/" + relative, sequential: true)
    }

    // MARK: Writes

    @discardableResult
    func commit(_ operations: [Operation], session: Int64? = nil) async throws(MultiFailure)
        -> (results: [OperationResult], zxid: Int64)
    {
        try await backend.commit(operations, session: session)
    }

    /// Creates one node and returns its final path, stat and the transaction's zxid.
    @discardableResult
    func create(
        _ path: ZNodePath, _ data: String = "", mode: CreateMode = .persistent, ttlMs: Int64? = nil,
        session: Int64? = nil
    ) async throws -> (path: ZNodePath, stat: Stat, zxid: Int64) {
        let (results, zxid) = try await commit(
            [.create(path: path, data: bytes(data), mode: mode, ttlMs: ttlMs)], session: session)
        let (final, stat) = try created(results.first)
        return (final, stat, zxid)
    }

    @discardableResult
    func setData(_ path: ZNodePath, _ data: String, version: Int32 = -1) async throws -> (stat: Stat, zxid: Int64) {
        let (results, zxid) = try await commit([.setData(path: path, data: bytes(data), version: version)])
        guard case .setData(let stat)? = results.first, results.count == 1 else {
            throw ConformanceFailure("setData returned \(results)")
        }
        return (stat, zxid)
    }

    @discardableResult
    func delete(_ path: ZNodePath, version: Int32 = -1) async throws -> Int64 {
        let (results, zxid) = try await commit([.delete(path: path, version: version)])
        guard results == [.deleted] else { throw ConformanceFailure("delete returned \(results)") }
        return zxid
    }

    /// Commits operations that must fail, and checks the failing index and error. Returns the
    /// failure (nil if the commit succeeded, which is recorded as an issue).
    @discardableResult
    func expectFailure(
        _ operations: [Operation], session: Int64? = nil, index: Int, _ expected: CoordinationError,
        _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> MultiFailure? {
        await expectFailure(
            operations, session: session, index: index, comment, sourceLocation: sourceLocation,
            matching: { $0 == expected })
    }

    /// As above, with a predicate for errors whose payload is backend-specific (a reason text).
    @discardableResult
    func expectFailure(
        _ operations: [Operation], session: Int64? = nil, index: Int, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation, matching: (CoordinationError) -> Bool
    ) async -> MultiFailure? {
        do {
            let (results, zxid) = try await backend.commit(operations, session: session)
            Issue.record(
                "expected failure at index \(index), got success \(results) at zxid \(zxid). \(comment?.rawValue ?? "")",
                sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.index == index, comment, sourceLocation: sourceLocation)
            #expect(matching(error.error), "unexpected error \(error.error). \(comment?.rawValue ?? "")",
                    sourceLocation: sourceLocation)
            return error
        }
    }

    // MARK: Reads

    func read(_ path: ZNodePath, children: Bool = false) async throws -> ReadResult {
        try await backend.read(path, children: children)
    }

    /// The node at `path` with its children, or nil.
    func node(_ path: ZNodePath) async throws -> NodeSnapshot? {
        try await read(path, children: true).node
    }

    func stat(_ path: ZNodePath) async throws -> Stat {
        guard let node = try await read(path).node else { throw ConformanceFailure("no node at \(path)") }
        return node.stat
    }

    func exists(_ path: ZNodePath) async throws -> Bool { try await read(path).node != nil }

    /// Every given path's node (with children), to compare before and after a failed write.
    func nodes(_ paths: [ZNodePath]) async throws -> [ZNodePath: NodeSnapshot?] {
        var result: [ZNodePath: NodeSnapshot?] = [:]
        for path in paths { result[path] = .some(try await node(path)) }
        return result
    }

    /// Every node of the subtree at `root`, with children, keyed by path.
    func subtree(_ root: ZNodePath) async throws -> [ZNodePath: NodeSnapshot] {
        var result: [ZNodePath: NodeSnapshot] = [:]
        var pending = [root]
        while let path = pending.popLast() {
            guard let node = try await node(path) else { continue }
            result[path] = node
            for child in node.children ?? [] { pending.append(try path.appending(child)) }
        }
        return result
    }

    // MARK: Waiting

    /// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass, and
    /// returns whether it held. Never a fixed sleep: a fast backend passes fast.
    func poll(
        timeout: Double, every interval: Double = 0.02, _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = Deadline(secondsFromNow: timeout)
        while true {
            if try await condition() { return true }
            if deadline.hasPassed { return false }
            try? await Task.sleep(for: .milliseconds(Int(min(interval, max(deadline.remaining, 0.001)) * 1000)))
        }
    }

    /// Waits until the feed has delivered a batch at `zxid` or later, then returns the events below
    /// the base path with zxids in `from...through`. Records an issue if it never comes.
    func events(from: Int64, through zxid: Int64, sourceLocation: SourceLocation = #_sourceLocation) async
        -> [WatchEvent]
    {
        let delivered = await poll(timeout: 5) { changes.lastZxid >= zxid }
        #expect(delivered, "no change batch at or after zxid \(zxid) within 5 s", sourceLocation: sourceLocation)
        return changes.events(under: base).filter { (from...zxid).contains($0.zxid) }
    }

    /// Expects exactly `expected` (as `describe` renders them) among the events below the base
    /// path after `zxid`, waiting up to 5 s for them: a remote backend may show a server-side
    /// change (a container or TTL sweep) to reads before its feed delivers the events.
    func expectEvents(after zxid: Int64, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) async {
        let after = { describe(self.changes.events(under: self.base).filter { $0.zxid > zxid }, base: self.base) }
        _ = await poll(timeout: 5) { after() == expected }
        #expect(after() == expected, sourceLocation: sourceLocation)
    }

    /// Opens a session with the shortest timeout the backend accepts.
    func openShortSession() async throws -> SessionInfo {
        try await backend.openSession(timeoutMs: capabilities.sessionTimeouts.lowerBound)
    }

    /// Opens a session that will not expire during the test (30 s, or the nearest accepted).
    func openSession() async throws -> SessionInfo {
        let bounds = capabilities.sessionTimeouts
        return try await backend.openSession(timeoutMs: min(max(30_000, bounds.lowerBound), bounds.upperBound))
    }

    private func deleteRecursively(_ path: ZNodePath) async {
        guard let node = try? await node(path) else { return }
        for child in node.children ?? [] {
            if let childPath = try? path.appending(child) { await deleteRecursively(childPath) }
        }
        _ = try? await backend.commit([.delete(path: path, version: -1)], session: nil)
    }
}

/// The created path and stat of a create's result.
func created(_ result: OperationResult?) throws -> (path: ZNodePath, stat: Stat) {
    guard case .created(let path, let stat)? = result else { throw ConformanceFailure("expected a created result, got \(String(describing: result))") }
    return (path, stat)
}

/// The 10-digit, zero-padded suffix a sequential create appended to `prefix`, as a number, or
/// nil when `path` is not `prefix` followed by exactly ten decimal digits.
func sequenceNumber(of path: ZNodePath, prefix: ZNodePath) -> Int? {
    let full = Array(path.string.utf8)
    let head = Array(prefix.string.utf8)
    guard full.count == head.count + 10, full.starts(with: head) else { return nil }
    let suffix = full[head.count...]
    guard suffix.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
    return Int(String(decoding: suffix, as: UTF8.self))
}

/// Records every change batch, and checks as they arrive what the protocol promises of them:
/// one delivery at a time, batches in strictly increasing zxid order, events inside a batch in
/// non-decreasing zxid order and no later than the batch, and (when the backend can read without
/// waiting) every event's write already visible to reads when its batch arrives.
final class ChangeRecorder: Sendable {
    private struct State {
        var batches: [ChangeBatch] = []
        var problems: [String] = []
        var delivering = false
        weak var instance: (any BackendInstance)?
    }

    private let state = Mutex(State())

    func attach(_ instance: any BackendInstance) {
        state.withLock { $0.instance = instance }
    }

    func receive(_ batch: ChangeBatch) {
        let (overlapping, previous, instance) = state.withLock { s in
            defer { s.delivering = true }
            return (s.delivering, s.batches.last?.zxid, s.instance)
        }
        var problems: [String] = []
        if overlapping { problems.append("batch \(batch.zxid) delivered while another delivery was running") }
        if let previous, batch.zxid <= previous {
            problems.append("batch \(batch.zxid) delivered after batch \(previous)")
        }
        var last = previous ?? Int64.min
        for event in batch.events {
            if event.zxid < last { problems.append("event \(event) after an event at zxid \(last)") }
            if event.zxid > batch.zxid { problems.append("event \(event) later than its batch \(batch.zxid)") }
            if let previous, event.zxid <= previous {
                problems.append("event \(event) not after the previous batch \(previous)")
            }
            last = max(last, event.zxid)
        }
        // Delivered after durability: a read made now already reflects the event's write.
        if let backend = instance?.backendIfOpen, let first = batch.events.first,
            let read = backend.readNow(first.path, children: false), read.index < batch.zxid
        {
            problems.append("batch \(batch.zxid) delivered while reads still reflect zxid \(read.index)")
        }
        state.withLock { s in
            s.batches.append(batch)
            s.problems += problems
            s.delivering = false
        }
        waiters.publish(batch)
    }

    /// The recipes' waits, fed by this same sink.
    let waiters = ChangeWaiters()

    var problems: [String] { state.withLock { $0.problems } }

    /// The zxid of the last batch delivered, or 0.
    var lastZxid: Int64 { state.withLock { $0.batches.last?.zxid ?? 0 } }

    var batches: [ChangeBatch] { state.withLock { $0.batches } }

    /// Every event delivered so far about `root` or a node below it, in delivery order.
    func events(under root: ZNodePath) -> [WatchEvent] {
        state.withLock { s in
            s.batches.flatMap(\.events).filter { $0.path == root || root.isAncestor(of: $0.path) }
        }
    }
}

/// A compact rendering of events for comparisons: `kind path` with the base path cut off.
func describe(_ events: [WatchEvent], base: ZNodePath) -> [String] {
    events.map { event in
        let path = event.path == base ? "." : String(event.path.string.dropFirst(base.string.count + 1))
        return "\(event.kind.rawValue) \(path)"
    }
}
