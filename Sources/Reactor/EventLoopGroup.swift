import Synchronization
import SystemCalls

/// Event loops, each running on a thread of its own, that several owners share: the HTTP
/// server's connections and the ZooKeeper client's socket on the same loops, so that a
/// request and its ZooKeeper round trip can stay on one thread.
///
/// Whoever made the group stops it, after everything that uses its loops has shut down.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    let threads: [EventLoopThread]
    private let stopped = Atomic<Bool>(false)

    /// Starts `count` loops, their threads named `name-0`, `name-1`, ...
    ///
    /// - Throws: `SystemError` when a loop (epoll, eventfd) or its thread cannot be created;
    ///   the loops already started are stopped first.
    public init(count: Int, name: String) throws(SystemError) {
        var threads: [EventLoopThread] = []
        do {
            for i in 0..<count {
                threads.append(try EventLoopThread(loop: try EventLoop(index: i), name: "\(name)-\(i)"))
            }
        } catch {
            Self.stop(threads)
            throw error
        }
        self.threads = threads
        loops = threads.map(\.loop)
    }

    /// Stops every loop after its current iteration and waits for the threads to end.
    /// Jobs still queued for a loop then are not run.
    /// - Precondition: not called from one of the group's own loops (it would join itself).
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        precondition(!loops.contains { $0.inEventLoop }, "EventLoopGroup.stop() called on one of its own loops")
        Self.stop(threads)
    }

    private static func stop(_ threads: [EventLoopThread]) {
        for thread in threads { thread.loop.stop() }
        for thread in threads { thread.join() }
    }
}
