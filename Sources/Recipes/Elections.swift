import Coordination

/// Leader elections in Curator LeaderLatch's layout (`<root>/<name>/_c_<uuid>-latch-<seq>`,
/// each node holding its candidate's participant id): the first candidate leads.
///
/// Unlike a lock's contender, a candidate stays in the running after its wait ends, until it
/// resigns or its session ends.
public final class Elections: Sendable {
    let backend: any CoordinationBackend
    let waiters: ChangeWaiters
    public let root: ZNodePath
    let floor: WriteFloor
    static let marker = "latch-"

    public init(backend: any CoordinationBackend, waiters: ChangeWaiters, root: ZNodePath, floor: WriteFloor = WriteFloor()) {
        self.floor = floor
        self.backend = backend
        self.waiters = waiters
        self.root = root
    }

    /// Where a campaign stands when its call returns.
    public struct Standing: Sendable {
        /// The caller's candidacy (its token and value).
        public var candidate: QueueEntry
        /// 0 when the caller leads; otherwise the number of candidates ahead.
        public var position: Int
        /// The leader, when it is not the caller.
        public var leader: QueueEntry?
    }

    /// The leader and the number of candidates.
    public struct State: Sendable {
        public var leader: QueueEntry?
        public var candidates: Int
        public var index: Int64
        public var changeIndex: Int64
    }

    /// Campaigns for `session` with `value` (the participant id Curator shows), waiting up to
    /// `waitMs` to lead. A session already running continues with its candidacy.
    ///
    /// - Throws: `.contenderLost` or `.coordination(.sessionExpired)` when the session ends;
    ///   `.coordination` for backend failures.
    public func campaign(_ name: String, session: Int64, value: [UInt8], waitMs: Int64) async throws(RecipeError) -> Standing {
        let queue = try self.queue(name)
        let deadline = ContinuousClock.now + .milliseconds(waitMs)
        let mine: QueueEntry
        if let existing = try await queue.existing(session: session) {
            mine = existing
        } else {
            mine = try await queue.join(session: session, data: value)
        }
        switch try await queue.waitForTurn(mine.node, until: deadline) {
        case .first:
            do { _ = try await backend.session(session) } catch { throw error.recipe }
            return Standing(candidate: mine, position: 0, leader: mine)
        case .waiting(let position):
            return Standing(candidate: mine, position: position, leader: try? await queue.holder())
        }
    }

    /// Withdraws the candidacy with `token`, leader or not.
    ///
    /// - Throws: `.notHolder` when no candidate has that token.
    public func resign(_ name: String, token: Int64) async throws(RecipeError) {
        let queue = try self.queue(name)
        for contender in try await queue.members().queue {
            guard let entry = try await queue.entry(contender), entry.token == token else { continue }
            try await queue.leave(entry.node)
            return
        }
        throw .notHolder(name: name, token: token)
    }

    /// The leader and the number of candidates.
    public func state(_ name: String) async throws(RecipeError) -> State {
        let queue = try self.queue(name)
        for _ in 0..<4 {
            let (members, index, changeIndex) = try await queue.members()
            guard let first = members.first else { return State(leader: nil, candidates: 0, index: index, changeIndex: changeIndex) }
            guard let leader = try await queue.entry(first) else { continue }
            return State(leader: leader, candidates: members.count, index: index, changeIndex: max(changeIndex, leader.token))
        }
        throw .coordination(.unavailable("the candidates of election \(name) kept changing"))
    }

    /// The paths whose changes move `state(name)`, for long-polls.
    public func watchedPaths(_ name: String) throws(RecipeError) -> Set<ZNodePath> {
        [try queue(name).directory]
    }

    func queue(_ name: String) throws(RecipeError) -> ContenderQueue {
        ContenderQueue(backend: backend, waiters: waiters, directory: try RecipeName.path(name, under: root),
            marker: Self.marker, name: name, floor: floor)
    }
}
