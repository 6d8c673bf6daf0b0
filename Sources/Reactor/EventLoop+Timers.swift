import SystemCalls

extension EventLoop {
    /// Calls `target.timerFired(token)` on this loop at `deadline` (monotonic ns) or at most
    /// one tick (≈17 ms) later. The loop keeps `target` alive until the timer fires or is
    /// cancelled. No allocation once the wheel's pool has grown.
    public func scheduleTimer(at deadline: UInt64, target: any TimerTarget, token: UInt64) -> TimerID {
        // Round up: a timer never fires early.
        let tick = (deadline + (1 << Self.tickShift) - 1) >> Self.tickShift
        return timers.schedule(at: tick, TimerEntry(target: target, token: token))
    }

    /// Cancels a timer; a no-op when it has already fired or been cancelled.
    public func cancelTimer(_ id: TimerID) {
        timers.cancel(id)
    }

    /// Runs `body` on this loop after `nanoseconds`. Allocates a small box; for per-connection
    /// timers prefer `scheduleTimer(at:target:token:)`.
    @discardableResult
    public func schedule(after nanoseconds: UInt64, _ body: @escaping () -> Void) -> TimerID {
        scheduleTimer(at: now + nanoseconds, target: ClosureTimer(body), token: 0)
    }
}

final class ClosureTimer: TimerTarget {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
    func timerFired(_ token: UInt64) { body() }
}
