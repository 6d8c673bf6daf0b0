import Coordination
import Waiting
import Synchronization

/// Fair locks in Curator InterProcessMutex's layout (`<root>/<name>/_c_<uuid>-lock-<seq>`),
/// owned by device sessions, with fencing tokens.
///
/// The token is the contender node's czxid. A node created later has a larger czxid, and the
/// holder is always the oldest contender left, so each acquisition of a lock gets a larger
/// token than every earlier one.
public final class Locks: Sendable {
    let queues: ContenderQueues
    public var root: ZNodePath { queues.root }
    var backend: any CoordinationBackend { queues.backend }
    /// The locks granted through this process, by session, with their nodes: a retried
    /// acquire and a release then need no listing of the queue, and a renewal can say which
    /// were lost (a replica that took a session over knows only its own grants).
    private let granted = Mutex<[Int64: [Held]]>([:])

    private struct Held: Sendable {
        var token: LockToken
        var node: String
    }

    /// A lock and the token of one acquisition of it.
    public struct LockToken: Hashable, Sendable {
        public var lock: String
        public var token: Int64

        public init(lock: String, token: Int64) {
            self.lock = lock
            self.token = token
        }
    }

    public init(backend: any CoordinationBackend, waiters: ChangeWaiters, root: ZNodePath, floor: WriteFloor = WriteFloor()) {
        queues = ContenderQueues(backend: backend, waiters: waiters, root: root, marker: "lock-", floor: floor)
    }

    /// A granted lock.
    public struct Grant: Sendable {
        public var entry: QueueEntry
        /// When it was granted (ms since the epoch).
        public var acquiredAt: Int64
    }

    /// The holder and the waiting queue.
    public struct State: Sendable {
        public var holder: QueueEntry?
        /// The contenders after the holder, in order.
        public var waiting: [Contender]
        public var index: Int64
        /// Moves when the holder or the queue changes.
        public var changeIndex: Int64
    }

    /// Acquires `name` for `session`, waiting up to `wait` as a fair queue.
    ///
    /// The grant is answered only after the session is confirmed alive. A session that already
    /// holds the lock through this process gets the same grant again (a retried request whose
    /// answer was lost); otherwise it joins the queue, which costs one create and one listing.
    ///
    /// - Throws: `.lockHeld` when the wait ends first (the contender is removed);
    ///   `.contenderLost` or `.coordination(.sessionExpired)` when the session ends meanwhile;
    ///   `.coordination` for backend failures.
    public func acquire(_ name: String, session: Int64, wait: Duration) async throws(RecipeError) -> Grant {
        let queue = try queues.queue(name)
        let deadline = ContinuousClock.now + wait
        if let held = granted.withLock({ $0[session]?.first { $0.token.lock == name } }),
            let contender = Contender(name: held.node, marker: queues.marker),
            let entry = try await queue.entry(contender)
        {
            try await confirmAlive(session)
            return Grant(entry: entry, acquiredAt: WallClock.milliseconds())
        }
        let mine = try await queue.join(session: session, data: Array("{\"session\":\"\(SessionText.format(session))\"}".utf8))
        let turn: ContenderQueue.Turn
        do {
            turn = try await queue.waitForTurn(mine.node, until: deadline)
        } catch {
            // A session that ended is the better answer than the node it took with it.
            if case .contenderLost = error { try await confirmAlive(session) }
            throw error
        }
        switch turn {
        case .first:
            do {
                try await confirmAlive(session)
            } catch {
                _ = try? await queue.leave(mine.node)
                throw error
            }
            granted.withLock { $0[session, default: []].append(Held(token: LockToken(lock: name, token: mine.token), node: mine.node)) }
            return Grant(entry: mine, acquiredAt: WallClock.milliseconds())
        case .waiting(let position):
            // Leave the queue before answering, so no orphan stays behind; the holder is read
            // after leaving, since it may have changed.
            try await queue.leave(mine.node)
            throw .lockHeld(lock: name, holder: try? await queue.holder(), position: position)
        }
    }

    /// Releases the lock held with `token`. Only a device session's hold can be released
    /// here: another client's (Curator's) holder would go on believing it holds.
    ///
    /// - Parameter permitted: whether the caller may release a hold of this session (the
    ///   token alone is published by every lock view; under a policy the holder's session must
    ///   be the caller's too).
    /// - Throws: `.notHolder` when the token does not hold the lock now, or is not a device
    ///   session's; `.notPermitted` when `permitted` refuses the holder's session.
    public func release(
        _ name: String, token: Int64, permitted: @escaping @Sendable (Int64) async -> Bool = { _ in true }
    ) async throws(RecipeError) {
        let queue = try queues.queue(name)
        let key = LockToken(lock: name, token: token)
        if let session = heldSession(key), await !permitted(session) { throw .notPermitted(name: name) }
        if let held = forget(key) {
            // Granted here: a node this process granted holds until it is deleted, so it is
            // deleted by name, with no listing. Gone already means the lock was lost.
            let deleted: Bool
            do {
                deleted = try await queue.leave(held.node)
            } catch {
                granted.withLock { $0[held.session, default: []].append(Held(token: key, node: held.node)) }
                throw error
            }
            guard deleted else { throw .notHolder(name: name, token: token) }
            return
        }
        guard let holder = try await queue.holder(), holder.token == token, let session = holder.session else {
            throw .notHolder(name: name, token: token)
        }
        guard await permitted(session) else { throw .notPermitted(name: name) }
        try await queue.leave(holder.node)
    }

    /// The session of a hold granted through this process.
    private func heldSession(_ key: LockToken) -> Int64? {
        granted.withLock { grants in grants.first { $0.value.contains { $0.token == key } }?.key }
    }

    /// Removes a grant from the ledger, returning it with its session.
    private func forget(_ key: LockToken) -> (node: String, session: Int64)? {
        granted.withLock { grants in
            for (session, held) in grants {
                guard let i = held.firstIndex(where: { $0.token == key }) else { continue }
                let node = held[i].node
                grants[session]!.remove(at: i)
                if grants[session]!.isEmpty { grants.removeValue(forKey: session) }
                return (node, session)
            }
            return nil
        }
    }

    /// The locks granted to `session` through this process that it no longer holds; they are
    /// forgotten once reported. With `ended`, the session is gone and all of them are lost.
    public func lost(by session: Int64, ended: Bool = false) async -> [LockToken] {
        guard let held = granted.withLock({ $0[session] }), !held.isEmpty else { return [] }
        var lost: [LockToken] = []
        for grant in held {
            // A read that fails says nothing: the lock is reported at a later renewal.
            if ended {
                lost.append(grant.token)
            } else if let queue = try? queues.queue(grant.token.lock),
                let read = try? await backend.readAny(queue.path(named: grant.node), children: false, atLeast: queues.floor.index),
                read.node?.stat.czxid != grant.token.token
            {
                lost.append(grant.token)
            }
        }
        granted.withLock { grants in
            let left = (grants[session] ?? []).filter { !lost.contains($0.token) }
            grants[session] = left.isEmpty ? nil : left
        }
        return lost
    }

    /// The holder and the queue.
    public func state(_ name: String) async throws(RecipeError) -> State {
        let (holder, members, index, changeIndex) = try await queues.queue(name).head()
        return State(holder: holder, waiting: Array(members.dropFirst()), index: index, changeIndex: changeIndex)
    }

    /// The paths whose changes move `state(name)`, for long-polls.
    public func watchedPaths(_ name: String) throws(RecipeError) -> Set<ZNodePath> {
        [try queues.queue(name).directory]
    }

    /// The check that makes a write conditional on `token` still holding `name`: the holder's
    /// node must still exist at its version. Lower contenders cannot appear later (sequences
    /// only grow), so a holder that still exists still holds.
    ///
    /// - Throws: `.staleFencingToken` when the token does not hold the lock now.
    public func fencingCheck(_ name: String, token: Int64) async throws(RecipeError) -> Operation {
        let queue = try queues.queue(name)
        guard let first = try await queue.members().queue.first else { throw .staleFencingToken(lock: name, token: token) }
        let read: ReadResult
        do { read = try await backend.readAny(queue.path(of: first), children: false, atLeast: queues.floor.index) } catch { throw error.recipe }
        guard let node = read.node, node.stat.czxid == token else { throw .staleFencingToken(lock: name, token: token) }
        return .check(path: node.path, version: node.stat.version)
    }


    private func confirmAlive(_ session: Int64) async throws(RecipeError) {
        do { try await backend.confirmSession(session) } catch { throw error.recipe }
    }
}
