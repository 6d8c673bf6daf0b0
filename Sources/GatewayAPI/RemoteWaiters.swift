import Coordination
import Synchronization

/// Long-polls that could not park on a loop because their node was not cached yet (a remote
/// backend's first read of it): each waits in its own task for the next change batch that
/// touches its path. Later polls of the same node find it cached and park on their loop.
final class RemoteWaiters: Sendable {
    private enum Slot {
        case waiting(ZNodePath, CheckedContinuation<Void, Never>)
        case cancelled
    }

    private struct State {
        var slots: [UInt64: Slot] = [:]
        var next: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Wakes the waiters of every path the batch touches.
    func publish(_ batch: ChangeBatch) {
        let woken: [CheckedContinuation<Void, Never>] = state.withLock { s in
            guard !s.slots.isEmpty else { return [] }
            let paths = Set(batch.events.map(\.path))
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, slot) in s.slots {
                if case .waiting(let path, let c) = slot, paths.contains(path) {
                    s.slots.removeValue(forKey: id)
                    woken.append(c)
                }
            }
            return woken
        }
        for c in woken { c.resume() }
    }

    /// Waits until a batch touches `path` (true) or `timeoutNs` passes (false).
    func waitForChange(_ path: ZNodePath, timeoutNs: UInt64) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.nextChange(path); return !Task.isCancelled }
            group.addTask {
                try? await Task.sleep(nanoseconds: timeoutNs)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func nextChange(_ path: ZNodePath) async {
        let id = state.withLock { s in
            defer { s.next += 1 }
            return s.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let cancelled = state.withLock { s -> Bool in
                    if case .cancelled? = s.slots[id] {
                        s.slots.removeValue(forKey: id)
                        return true
                    }
                    s.slots[id] = .waiting(path, c)
                    return false
                }
                if cancelled { c.resume() }
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
    }
}
