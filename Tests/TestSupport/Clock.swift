#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time for test deadlines. Wall-clock time can jump; a timeout test must not.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A point in monotonic time by which something must have happened. Every blocking helper in
/// TestSupport takes one, so no test can wait forever.
public struct Deadline: Sendable {
    public let at: Double

    public init(secondsFromNow seconds: Double) { at = monotonicSeconds() + seconds }

    public var remaining: Double { at - monotonicSeconds() }
    public var hasPassed: Bool { remaining <= 0 }

    /// Milliseconds left for poll(2), at least 1 while time remains, 0 after.
    public var remainingMilliseconds: Int32 {
        let ms = remaining * 1000
        if ms <= 0 { return 0 }
        return Int32(min(ms.rounded(.up), Double(Int32.max)))
    }
}

/// Sleeps the calling thread. Used inside helpers that already block; tests prefer
/// `Task.sleep` so they free their executor thread.
public func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var left = timespec()
    while nanosleep(&request, &left) != 0 && errno == EINTR { request = left }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. Servers
/// update counters asynchronously, so tests wait for a state instead of sleeping a guess.
public func eventually(
    timeout: Double, every interval: Double = 0.01, _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = Deadline(secondsFromNow: timeout)
    while true {
        if try condition() { return true }
        if deadline.hasPassed { return false }
        sleepSeconds(min(interval, max(deadline.remaining, 0.001)))
    }
}

/// `eventually` for async tests: the same polling, sleeping with `Task.sleep` so the executor
/// thread is free meanwhile.
public func eventually(
    timeout: Double, every interval: Double = 0.01, _ condition: () throws -> Bool
) async rethrows -> Bool {
    let deadline = Deadline(secondsFromNow: timeout)
    while true {
        if try condition() { return true }
        if deadline.hasPassed { return false }
        try? await Task.sleep(nanoseconds: UInt64(min(interval, max(deadline.remaining, 0.001)) * 1e9))
    }
}

/// `eventually` over an async condition (a request made through an async API), with
/// `Duration`s: the condition runs again every `interval` until it holds or `timeout` passes,
/// and once more at the end.
public func eventually(
    timeout: Duration, every interval: Duration = .milliseconds(20), _ condition: () async -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}
