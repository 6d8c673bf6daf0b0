import CZKShims
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// Runs `job` on this loop's thread soon. Callable from any thread; on the loop's own
    /// thread it still defers to the end of the current iteration.
    ///
    /// Costs one lock round-trip and, only when the loop may be asleep, one eventfd write.
    public func execute(_ job: @escaping @Sendable () -> Void) {
        submit(.closure(job))
    }

    func submit(_ job: InboxJob) {
        if enqueue(job) { wake() }
    }

    /// Adds `job` to the inbox without waking the loop; returns whether the caller must then
    /// call `wake()` (never on the loop's own thread). Lets a caller that enqueues under a lock
    /// of its own make the eventfd write after releasing it, so other threads do not queue on
    /// that lock behind a syscall.
    public func enqueue(_ job: @escaping @Sendable () -> Void) -> Bool {
        enqueue(.closure(job))
    }

    func enqueue(_ job: InboxJob) -> Bool {
        inbox.withLock { $0.append(job) }
        if inEventLoop {
            // The loop is awake: it runs the inbox before it next sleeps (`waitTimeout` sees
            // `localJobs`), so no eventfd write to itself.
            localJobs = true
            return false
        }
        // Only the first producer after a drain pays for the write.
        return !wakePending.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// Wakes the loop after `enqueue` answered true.
    public func wake() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
    }

    func wakeUp() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) { wake() }
    }

    func drainWakeFD() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(wakeFD, $0.baseAddress, 8) }
    }

    func runInbox() {
        // Clear the flag before taking the jobs: a producer racing with us either lands in
        // this batch or sees the flag clear and writes the eventfd again.
        wakePending.store(false, ordering: .releasing)
        localJobs = false
        inbox.withLock { swap(&$0, &draining) }
        guard !draining.isEmpty else { return }
        for job in draining {
            switch job {
            case .closure(let run): run()
            case .task(let task): task.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
        draining.removeAll(keepingCapacity: true)
    }
}
