import Coordination
import Synchronization

/// Waits, in a task, for the next change batch that touches given paths: the recipes' waits
/// (a lock contender waits for its predecessor only) and the long-polls that could not park on
/// a loop because their node was not cached yet.
///
/// A wait names the index its caller's read reflected. A batch published after that index but
/// before the wait was registered would otherwise be missed, so such a wait returns at once,
/// and the caller reads again.
public final class ChangeWaiters: Sendable {
    private enum Slot {
        case waiting(Set<ZNodePath>, CheckedContinuation<Void, Never>)
        case cancelled
    }

    private struct State {
        var slots: [UInt64: Slot] = [:]
        var next: UInt64 = 0
        /// The zxid of the last batch published.
        var published: Int64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiters of every path the batch touches (every waiter, for a resync).
    public func publish(_ batch: ChangeBatch) {
        let woken: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.published = max(s.published, batch.zxid)
            guard !s.slots.isEmpty else { return [] }
            let paths = Set(batch.events.map(\.path))
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, slot) in s.slots {
                if case .waiting(let wanted, let c) = slot, batch.resync || !wanted.isDisjoint(with: paths) {
                    s.slots.removeValue(forKey: id)
                    woken.append(c)
                }
            }
            return woken
        }
        for c in woken { c.resume() }
    }

    /// Waits until a batch after `index` touches one of `paths` (true), or `timeoutNs` passes
    /// or the task is cancelled (false).
    public func waitForChange(_ paths: Set<ZNodePath>, after index: Int64, timeoutNs: UInt64) async -> Bool {
        guard timeoutNs > 0, !Task.isCancelled else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.nextChange(paths, after: index) && !Task.isCancelled }
            group.addTask {
                try? await Task.sleep(nanoseconds: timeoutNs)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// As `waitForChange(_:after:timeoutNs:)` for one path.
    public func waitForChange(_ path: ZNodePath, after index: Int64, timeoutNs: UInt64) async -> Bool {
        await waitForChange([path], after: index, timeoutNs: timeoutNs)
    }

    private func nextChange(_ paths: Set<ZNodePath>, after index: Int64) async -> Bool {
        let id = state.withLock { s in
            defer { s.next += 1 }
            return s.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if case .cancelled? = s.slots[id] {
                        s.slots.removeValue(forKey: id)
                        return true
                    }
                    if s.published > index { return true }
                    s.slots[id] = .waiting(paths, c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let waiting: CheckedContinuation<Void, Never>? = state.withLock { s in
                if case .waiting(_, let c)? = s.slots[id] {
                    s.slots.removeValue(forKey: id)
                    return c
                }
                s.slots[id] = .cancelled
                return nil
            }
            waiting?.resume()
        }
        return true
    }
}
