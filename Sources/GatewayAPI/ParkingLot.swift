import HTTPCore
import HTTPServer
import Reactor
import Synchronization

/// Parked long-polls on one event loop, grouped by what they wait for. Confined to its loop.
///
/// Parking allocates one `Waiter`; waking allocates nothing per request beyond its answer:
/// the key's list is walked, each timer cancelled (an O(1) wheel operation) and each answer
/// written through the connection's own loop, so waking 10,000 waiters is one pass over an
/// array. A slow client's answer waits in its own outbound queue; it never stalls the rest.
final class ParkingLot<Key: Hashable & SendableMetatype>: @unchecked Sendable {
    /// Why a waiter is being answered.
    enum Wake {
        /// What it waits for changed.
        case changed
        /// Its wait ended: answer with the unchanged state.
        case timeout
        /// The server is shutting down: answer now with the current state.
        case shutdown
    }

    /// Loop-confined, like the lot; `@unchecked Sendable` only so the interruption callback
    /// (which the server runs on this same loop) may hold it.
    final class Waiter: TimerTarget, @unchecked Sendable {
        let key: Key
        let deferred: DeferredResponse
        /// Renders the answer at wake-up time from the state the loop has then; for `.changed`
        /// it may answer nil, meaning "not yet: keep waiting" (a batch can carry a change the
        /// waiter's own read already reflected).
        let render: (Wake) -> HTTPResponse?
        var timer = TimerID.none
        /// Position in its key's list, for O(1) removal.
        var slot = -1
        unowned(unsafe) let lot: ParkingLot

        init(key: Key, deferred: DeferredResponse, lot: ParkingLot, render: @escaping (Wake) -> HTTPResponse?) {
            self.key = key
            self.deferred = deferred
            self.lot = lot
            self.render = render
        }

        func timerFired(_ token: UInt64) {
            timer = .none
            lot.answer(self, .timeout)
        }
    }

    /// Lets the interruption callback, created before its waiter, reach it.
    final class WaiterBox: @unchecked Sendable {
        var waiter: Waiter?
    }

    let loop: EventLoop
    /// Waiters parked in the whole process, against its cap: a connection's loop is the
    /// kernel's choice, so the cap cannot be split per loop.
    let budget: ParkingBudget
    private var waiters: [Key: [Waiter]] = [:]
    private(set) var count = 0

    /// The keys with parked waiters (a copy, so waking while iterating is safe).
    var keys: [Key] { Array(waiters.keys) }

    init(loop: EventLoop, budget: ParkingBudget) {
        self.loop = loop
        self.budget = budget
    }

    /// Parks the request until `wake(_:)` for its key, its deadline, or the server's shutdown.
    /// Returns false (parking nothing) when the lot is full.
    func park(
        _ key: Key, context: RequestContext, deadline: UInt64, render: @escaping (Wake) -> HTTPResponse?
    ) -> DeferredResponse? {
        guard budget.acquire() else { return nil }
        let box = WaiterBox()
        let deferred = context.deferResponse { [unowned(unsafe) self] reason, _ in
            guard let parked = box.waiter else { return }
            switch reason {
            case .clientGone: self.remove(parked)
            case .shutdown: self.answer(parked, .shutdown)
            }
        }
        let parked = Waiter(key: key, deferred: deferred, lot: self, render: render)
        box.waiter = parked
        parked.timer = loop.scheduleTimer(at: deadline, target: parked, token: 0)
        parked.slot = waiters[key, default: []].count
        waiters[key, default: []].append(parked)
        count += 1
        return deferred
    }

    /// Answers every waiter of `key` whose condition now holds; the others stay parked.
    func wake(_ key: Key) {
        guard let list = waiters.removeValue(forKey: key) else { return }
        var kept: [Waiter] = []
        for waiter in list {
            guard let answer = waiter.render(.changed) else {
                waiter.slot = kept.count
                kept.append(waiter)
                continue
            }
            count -= 1
            budget.release(1)
            waiter.slot = -1
            loop.cancelTimer(waiter.timer)
            waiter.timer = .none
            waiter.deferred.respond(answer)
        }
        // Answering runs the connection's next pipelined request, which may park on this same
        // key meanwhile: keep those too, after the ones still waiting.
        if let added = waiters.removeValue(forKey: key) {
            for waiter in added {
                waiter.slot = kept.count
                kept.append(waiter)
            }
        }
        if !kept.isEmpty { waiters[key] = kept }
    }

    /// Wakes every key: each waiter re-checks its condition.
    func wakeAll() {
        for key in Array(waiters.keys) { wake(key) }
    }

    fileprivate func answer(_ waiter: Waiter, _ reason: Wake) {
        remove(waiter)
        if let answer = waiter.render(reason) { waiter.deferred.respond(answer) }
    }

    fileprivate func remove(_ waiter: Waiter) {
        guard waiter.slot >= 0, waiters[waiter.key] != nil else { return }
        let slot = waiter.slot
        let emptied: Bool = {
            // Swap-remove in place, without copying the list.
            let last = waiters[waiter.key]!.removeLast()
            if last !== waiter {
                waiters[waiter.key]![slot] = last
                last.slot = slot
            }
            return waiters[waiter.key]!.isEmpty
        }()
        if emptied { waiters.removeValue(forKey: waiter.key) }
        waiter.slot = -1
        if waiter.timer != .none {
            loop.cancelTimer(waiter.timer)
            waiter.timer = .none
        }
        count -= 1
        budget.release(1)
    }
}

/// The process-wide count of parked long-polls against `--max-parked`: one relaxed atomic
/// add per park, and one per batch of wake-ups.
final class ParkingBudget: Sendable {
    let capacity: Int
    private let used = Atomic<Int>(0)

    init(capacity: Int) { self.capacity = capacity }

    /// Takes a slot, or returns false when the cap is reached.
    func acquire() -> Bool {
        if used.wrappingAdd(1, ordering: .relaxed).newValue > capacity {
            used.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives back `n` slots (negative: takes them).
    func release(_ n: Int) {
        if n != 0 { used.wrappingSubtract(n, ordering: .relaxed) }
    }
}
