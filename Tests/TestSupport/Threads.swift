import Foundation
import Synchronization

/// Runs `body(0..<count)` on `count` dedicated threads at once and returns each result.
/// Real threads, not tasks: the clients block on sockets, and Swift's cooperative pool has
/// only one thread per core, which would serialize them. Assertions stay with the caller.
public func runOnThreads<T: Sendable>(
    count: Int, timeout: Double = 60, _ body: @escaping @Sendable (Int) throws -> T
) -> [Result<T, any Error>] {
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    for index in 0..<count {
        let thread = Thread {
            let result = Result { try body(index) }
            results.withLock { $0[index] = result }
        }
        thread.name = "test-client-\(index)"
        thread.start()
    }
    _ = eventually(timeout: timeout, every: 0.005) { results.withLock { $0.count } == count }
    return results.withLock { done in
        (0..<count).map { done[$0] ?? .failure(HTTPClientError.timedOut(waitingFor: "thread \($0)", received: 0)) }
    }
}

/// Runs blocking work (sleeps, waits for child processes, blocking sockets) on a thread of its
/// own and awaits it. A test that blocks for seconds on the cooperative pool (one thread per
/// core) starves every other test's tasks meanwhile, and their timing checks fail. Expectations
/// cannot be recorded from that thread: return what to check and check it in the test.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "test-blocking"
        thread.start()
    }
}
