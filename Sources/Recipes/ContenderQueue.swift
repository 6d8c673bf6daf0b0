import Coordination
import Waiting

/// The queue of contenders under one lock or election node: joining, waiting for the turn
/// (watching only the predecessor, so a release wakes one waiter, not the herd), leaving, and
/// describing the queue. Shared by `Locks` and `Elections`, which differ in marker and data.
struct ContenderQueue: Sendable {
    let backend: any CoordinationBackend
    let waiters: ChangeWaiters
    /// The lock or election node.
    let directory: ZNodePath
    /// `lock-` or `latch-`.
    let marker: String
    /// The name the API uses, for errors.
    let name: String
    /// Reads reflect at least the recipes' own last write.
    let floor: WriteFloor

    /// The contenders in order, with the index of the read.
    func members() async throws(RecipeError) -> (queue: [Contender], index: Int64, changeIndex: Int64) {
        let read: ReadResult
        do { read = try await backend.readAny(directory, children: true, atLeast: floor.index) } catch { throw error.recipe }
        return (Contender.queue(read.node?.children ?? [], marker: marker), read.index, read.changeIndex)
    }

    /// Describes one contender; nil when it is gone.
    func entry(_ contender: Contender) async throws(RecipeError) -> QueueEntry? {
        let read: ReadResult
        do { read = try await backend.readAny(path(of: contender), children: false, atLeast: floor.index) } catch { throw error.recipe }
        guard let node = read.node else { return nil }
        return QueueEntry(node: contender.name, token: node.stat.czxid, session: contender.session, data: node.data,
            createdAt: node.stat.ctime)
    }

    /// The queue with its first contender described (nil when the queue is empty).
    func head() async throws(RecipeError) -> (first: QueueEntry?, queue: [Contender], index: Int64, changeIndex: Int64) {
        for _ in 0..<4 {
            let (queue, index, changeIndex) = try await members()
            guard let first = queue.first else { return (nil, queue, index, changeIndex) }
            // The first one left between the two reads: list again.
            if let entry = try await entry(first) { return (entry, queue, index, changeIndex) }
        }
        throw .coordination(.unavailable("the queue of \(name) kept changing"))
    }

    /// The first contender still present, described.
    func holder() async throws(RecipeError) -> QueueEntry? {
        try await head().first
    }

    /// The session's contender: the one it has already (a retried request reuses it), or a
    /// new one holding `data`.
    func enter(session: Int64, data: [UInt8]) async throws(RecipeError) -> QueueEntry {
        if let mine = try await members().queue.first(where: { $0.session == session }), let entry = try await entry(mine) {
            return entry
        }
        return try await join(session: session, data: data)
    }

    /// Adds an ephemeral-sequential contender owned by `session`.
    func join(session: Int64, data: [UInt8]) async throws(RecipeError) -> QueueEntry {
        let prefix = Contender.prefix(session: session, marker: marker, random: UInt16.random(in: 0...UInt16.max))
        do {
            let path = try ZNodePath(validating: directory.string + "/" + prefix, sequential: true)
            let (actual, stat) = try await backend.createWithContainers(
                .create(path: path, data: data, mode: .ephemeralSequential), session: session)
            floor.raise(to: stat.czxid)
            return QueueEntry(node: actual.name, token: stat.czxid, session: session, data: data, createdAt: stat.ctime)
        } catch {
            throw error.recipe
        }
    }

    enum Turn {
        case first
        /// The wait ended with `position` contenders ahead (1 is next).
        case waiting(position: Int)
    }

    /// Waits until `mine` is first, until `deadline`, or until the task is cancelled.
    ///
    /// - Throws: `.contenderLost` when the node is gone (its session ended).
    func waitForTurn(_ mine: String, until deadline: ContinuousClock.Instant) async throws(RecipeError) -> Turn {
        let (position, first) = try await waiters.poll(until: deadline) { () throws(RecipeError) -> (Int, PollStep) in
            let (queue, index, _) = try await members()
            guard let position = queue.firstIndex(where: { $0.name == mine }) else { throw .contenderLost(name: name) }
            if position == 0 { return (0, .done) }
            return (position, .waitForChange([path(of: queue[position - 1]), path(named: mine)], after: index))
        }
        return first ? .first : .waiting(position: position)
    }

    /// Removes a contender; returns false when it was already gone (not an error). A backend
    /// outage is retried a few times, since an orphan would block the queue until its session
    /// ends.
    @discardableResult
    func leave(_ node: String) async throws(RecipeError) -> Bool {
        var lastError = CoordinationError.unavailable("no attempt")
        for attempt in 0..<5 {
            do throws(MultiFailure) {
                let (_, zxid) = try await backend.commit([.delete(path: path(named: node), version: Operation.anyVersion)], session: nil)
                floor.raise(to: zxid)
                return true
            } catch {
                if case .noNode = error.error { return false }
                lastError = error.error
                if attempt < 4 { try? await Task.sleep(nanoseconds: 200_000_000) }
            }
        }
        throw lastError.recipe
    }

    func path(of contender: Contender) -> ZNodePath { path(named: contender.name) }

    func path(named node: String) -> ZNodePath {
        // Names come from the backend's own listing or our own create, so they are valid.
        (try? directory.appending(node)) ?? directory
    }
}

/// The contender queues of one recipe family (locks or elections): where they live, their
/// marker, and what their reads and waits go through.
struct ContenderQueues: Sendable {
    let backend: any CoordinationBackend
    let waiters: ChangeWaiters
    let root: ZNodePath
    let marker: String
    let floor: WriteFloor

    /// The queue of `name` below the root.
    ///
    /// - Throws: `.invalidName` when the name cannot be a path.
    func queue(_ name: String) throws(RecipeError) -> ContenderQueue {
        ContenderQueue(backend: backend, waiters: waiters, directory: try RecipeName.path(name, under: root), marker: marker,
            name: name, floor: floor)
    }
}
