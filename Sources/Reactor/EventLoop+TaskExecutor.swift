/// A loop is a task executor: a task started with `Task(executorPreference: loop)` runs its
/// synchronous stretches on the loop's thread, through the inbox.
///
/// A handler that awaits a backend then resumes on its own connection's loop, and no thread of
/// the global pool is woken on the way in or out (two futex wake-ups and context switches per
/// request, measured as most of the gateway's CPU on the write path).
extension EventLoop: TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.task(UnownedJob(job)))
    }
}
