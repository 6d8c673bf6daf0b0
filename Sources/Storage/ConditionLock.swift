#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with one condition variable: the log's writer thread sleeps on it until
/// there is work. (`Synchronization.Mutex` has no condition variable.) The pthread objects
/// live on the heap because they must never move.
final class ConditionLock: @unchecked Sendable {
    // @unchecked: the pointers are only used through the pthread calls, which synchronise.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Releases the mutex, sleeps until signalled (or spuriously: callers re-check), relocks.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes every waiter.
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Wakes one waiter.
    func signal() { pthread_cond_signal(condition) }

    @inline(__always)
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
