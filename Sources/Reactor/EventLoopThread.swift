import CZKShims
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// Starts `EventLoop.run()` on a dedicated POSIX thread.
public final class EventLoopThread: Sendable {
    public let loop: EventLoop
    nonisolated(unsafe) private var thread: pthread_t = 0

    /// Runs `loop` on a new thread, calling `setup` there first, so registrations happen on the
    /// loop's own thread.
    ///
    /// - Parameter niceness: added to the thread's nice value (Linux schedules threads one by
    ///   one): a loop for bulk work at 10 yields the cores to the serving loops whenever they
    ///   have something to do. Raising it needs no privilege; a failure leaves it at 0.
    /// - Throws: `SystemError` when the thread cannot be created.
    public init(
        loop: EventLoop, name: String, niceness: Int32 = 0, setup: @escaping @Sendable (EventLoop) -> Void = { _ in }
    ) throws(SystemError) {
        self.loop = loop
        let box = Unmanaged.passRetained(ThreadBody {
            zk_set_thread_name(String(name.prefix(15)))
            if niceness != 0 {
                _ = try? syscallBlocking("setpriority") { zk_renice_thread(niceness) }
            }
            loop.threadID.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .relaxed)
            setup(loop)
            loop.run()
        })
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw SystemError(code: rc, call: "pthread_create")
        }
        thread = handle
    }

    /// Waits for the thread to finish (after `loop.stop()`).
    public func join() {
        pthread_join(thread, nil)
    }
}

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
