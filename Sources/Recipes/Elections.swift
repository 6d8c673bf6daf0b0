import Coordination
import Waiting

/// Leader elections in Curator LeaderLatch's layout (`<root>/<name>/_c_<uuid>-latch-<seq>`,
/// each node holding its candidate's participant id): the first candidate leads.
///
/// Unlike a lock's contender, a candidate stays in the running after its wait ends, until it
/// resigns or its session ends.
public final class Elections: Sendable {
    let queues: ContenderQueues
    public var root: ZNodePath { queues.root }

    public init(backend: any CoordinationBackend, waiters: ChangeWaiters, root: ZNodePath, floor: WriteFloor = WriteFloor()) {
        queues = ContenderQueues(backend: backend, waiters: waiters, root: root, marker: "latch-", floor: floor)
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
    /// `wait` to lead. A session already running continues with its candidacy.
    ///
    /// - Throws: `.contenderLost` or `.coordination(.sessionExpired)` when the session ends;
    ///   `.coordination` for backend failures.
    public func campaign(_ name: String, session: Int64, value: [UInt8], wait: Duration) async throws(RecipeError) -> Standing {
        let queue = try queues.queue(name)
        let deadline = ContinuousClock.now + wait
        let mine = try await queue.enter(session: session, data: value)
        switch try await queue.waitForTurn(mine.node, until: deadline) {
        case .first:
            do { try await queues.backend.confirmSession(session) } catch { throw error.recipe }
            return Standing(candidate: mine, position: 0, leader: mine)
        case .waiting(let position):
            return Standing(candidate: mine, position: position, leader: try? await queue.holder())
        }
    }

    /// Withdraws the candidacy with `token`, leader or not. Only device sessions' candidacies
    /// can be withdrawn here: another client's (Curator's) latch would not learn of it.
    ///
    /// - Parameter permitted: whether the caller may withdraw a candidacy of this session.
    /// - Throws: `.notHolder` when no device session's candidate has that token;
    ///   `.notPermitted` when `permitted` refuses its session.
    public func resign(
        _ name: String, token: Int64, permitted: @escaping @Sendable (Int64) async -> Bool = { _ in true }
    ) async throws(RecipeError) {
        let queue = try queues.queue(name)
        for contender in try await queue.members().queue {
            guard let session = contender.session, let entry = try await queue.entry(contender), entry.token == token else {
                continue
            }
            guard await permitted(session) else { throw .notPermitted(name: name) }
            try await queue.leave(entry.node)
            return
        }
        throw .notHolder(name: name, token: token)
    }

    /// The leader and the number of candidates.
    public func state(_ name: String) async throws(RecipeError) -> State {
        let (leader, members, index, changeIndex) = try await queues.queue(name).head()
        return State(leader: leader, candidates: members.count, index: index, changeIndex: changeIndex)
    }

    /// The paths whose changes move `state(name)`, for long-polls.
    public func watchedPaths(_ name: String) throws(RecipeError) -> Set<ZNodePath> {
        [try queues.queue(name).directory]
    }

}
