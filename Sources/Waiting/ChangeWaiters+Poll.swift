import Coordination

/// What a poll does after a read: answer with it, or wait for a change to `paths` after the
/// index the read reflected, then read again.
public enum PollStep: Sendable {
    case done
    case waitForChange(Set<ZNodePath>, after: Int64)
}

extension ChangeWaiters {
    /// Waits until a batch after `index` touches one of `paths` (true), or `deadline` passes or
    /// the task is cancelled (false).
    public func waitForChange(_ paths: Set<ZNodePath>, after index: Int64, until deadline: ContinuousClock.Instant) async -> Bool {
        await waitForChange(paths, after: index, timeoutNs: ContinuousClock.now.duration(to: deadline).wholeNanoseconds)
    }

    /// The one loop of every wait in a task: reads, and while the read is not `done` and
    /// `deadline` is ahead (and the task not cancelled), waits for a change to the paths the
    /// read names and reads again.
    ///
    /// - Returns: the last read, and whether it was `done` (false: the wait ended first).
    /// - Throws: what `read` throws.
    public func poll<View, Failure: Error>(
        until deadline: ContinuousClock.Instant, _ read: () async throws(Failure) -> (View, PollStep)
    ) async throws(Failure) -> (view: View, done: Bool) {
        while true {
            let (view, step) = try await read()
            guard case .waitForChange(let paths, let index) = step else { return (view, true) }
            if Task.isCancelled || ContinuousClock.now >= deadline { return (view, false) }
            _ = await waitForChange(paths, after: index, until: deadline)
        }
    }
}
