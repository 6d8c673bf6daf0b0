import CZKShims
import SystemCalls
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Something registered with an event loop for readiness events on one descriptor.
/// Called on the loop's thread only.
public protocol EventHandler: AnyObject {
    /// `events` is the epoll mask that fired (`Readiness` has the bits).
    func handleEvents(_ events: UInt32)
}

/// Something a timer calls back on the loop's thread; `token` tells its timers apart.
public protocol TimerTarget: AnyObject {
    func timerFired(_ token: UInt64)
}

/// The epoll bits, under Swift names.
public enum Readiness {
    public static let readable = ZK_EPOLLIN
    public static let writable = ZK_EPOLLOUT
    public static let error = ZK_EPOLLERR
    public static let hangup = ZK_EPOLLHUP
    public static let readHangup = ZK_EPOLLRDHUP
}

/// One epoll instance driven by one thread: readiness events, a timer wheel, and an inbox of
/// jobs other threads hand to it through an eventfd.
///
/// Everything but `execute` and `inEventLoop` must be called on the loop's own thread; that
/// confinement is why the class can be `@unchecked Sendable`.
public final class EventLoop: @unchecked Sendable {
    /// The loop's index in its group, for logs and metrics.
    public let index: Int
    let epfd: Int32
    let wakeFD: Int32

    struct Registration {
        var handler: (any EventHandler)?
        var generation: UInt32 = 0
        var fd: Int32 = -1
    }
    var registrations: [Registration] = []
    var freeRegistrations: [Int] = []

    public struct TimerEntry {
        let target: any TimerTarget
        let token: UInt64
    }
    var timers: TimerWheel<TimerEntry>
    var expired: [TimerEntry] = []
    /// Timer resolution: 2^24 ns ≈ 16.8 ms, so a 4096-slot wheel spans ≈ 68 s.
    static let tickShift: UInt64 = 24

    /// A job for the loop's thread: a closure, or a task's job (kept apart so that resuming a
    /// task needs no closure allocated around it).
    enum InboxJob: Sendable {
        case closure(@Sendable () -> Void)
        case task(UnownedJob)
    }
    let inbox = Mutex<[InboxJob]>([])
    var draining: [InboxJob] = []
    let wakePending = Atomic<Bool>(false)
    /// Jobs the loop's own thread added since the inbox was last run (loop-confined).
    var localJobs = false
    let threadID = Atomic<UInt>(0)
    let stopRequested = Atomic<Bool>(false)

    /// The monotonic time at the start of this iteration, in nanoseconds.
    public private(set) var now: UInt64

    /// The monotonic clock read now (nanoseconds), not the iteration's cached `now`: for a
    /// duration that starts and ends within one iteration, as most requests do.
    public static var preciseNow: UInt64 { zk_monotonic_ns() }
    /// Work to run once per iteration, after all events (for batched flushes).
    var iterationHooks: [(id: Int, run: () -> Void)] = []
    var nextHookID = 0

    /// - Throws: `SystemError` when epoll or the eventfd cannot be created.
    public init(index: Int = 0) throws(SystemError) {
        self.index = index
        epfd = try syscallBlocking("epoll_create1") { zk_epoll_create() }
        wakeFD = try syscallBlocking("eventfd") { zk_eventfd() }
        now = zk_monotonic_ns()
        timers = TimerWheel(slots: 4096, startTick: now >> Self.tickShift)
        try syscallBlocking("epoll_ctl") {
            zk_epoll_ctl(epfd, ZK_EPOLL_CTL_ADD, wakeFD, ZK_EPOLLIN, UInt64.max)
        }
    }

    deinit {
        close(epfd)
        close(wakeFD)
    }

    /// Whether the caller runs on this loop's thread.
    public var inEventLoop: Bool {
        threadID.load(ordering: .relaxed) == UInt(bitPattern: Int(bitPattern: pthread_self()))
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        threadID.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .relaxed)
        let capacity = 512
        let events = UnsafeMutablePointer<zk_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while !stopRequested.load(ordering: .relaxed) {
            let timeout = waitTimeout()
            let n = zk_epoll_wait(epfd, events, Int32(capacity), timeout)
            now = zk_monotonic_ns()
            if n < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait: \(SystemError(code: errno, call: "epoll_wait"))")
            }
            for i in 0..<Int(n) {
                let event = events[i]
                if event.data == UInt64.max {
                    drainWakeFD()
                    continue
                }
                let slot = Int(truncatingIfNeeded: event.data & 0xFFFF_FFFF)
                let generation = UInt32(truncatingIfNeeded: event.data >> 32)
                guard slot < registrations.count, registrations[slot].generation == generation,
                    let handler = registrations[slot].handler
                else { continue }  // a stale event for a descriptor closed earlier in this batch
                handler.handleEvents(event.events)
            }
            runInbox()
            fireTimers()
            for hook in iterationHooks { hook.run() }
        }
        // A later thread may get this one's id: `inEventLoop` must not answer yes for it.
        threadID.store(0, ordering: .relaxed)
    }

    /// Asks the loop to return from `run()` after its current iteration. Any thread.
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        wakeUp()
    }

    private func waitTimeout() -> Int32 {
        if localJobs { return 0 }
        guard let tick = timers.nextTick() else { return -1 }
        let deadline = tick << Self.tickShift
        if deadline <= now { return 0 }
        // Round up so the wheel's tick has passed when we wake.
        let ms = (deadline - now + 999_999) / 1_000_000
        return Int32(min(ms, 60_000))
    }

    private func fireTimers() {
        guard timers.count > 0 else { return }
        timers.advance(to: now >> Self.tickShift, into: &expired)
        guard !expired.isEmpty else { return }
        let due = expired
        expired.removeAll(keepingCapacity: true)
        for entry in due { entry.target.timerFired(entry.token) }
    }
}

extension EventLoop {
    /// A registered descriptor's identity, for `modify` and `deregister`.
    public struct RegistrationID: Hashable, Sendable {
        let slot: Int
        let generation: UInt32
    }

    /// Adds `fd` to the loop, level-triggered, with the given readiness interest.
    ///
    /// - Throws: `SystemError` from epoll_ctl (EBADF, ENOMEM, ENOSPC at max_user_watches).
    public func register(fd: Int32, interest: UInt32, handler: any EventHandler) throws(SystemError)
        -> RegistrationID
    {
        let slot: Int
        if let reused = freeRegistrations.popLast() {
            slot = reused
        } else {
            slot = registrations.count
            registrations.append(Registration())
        }
        registrations[slot].generation &+= 1
        registrations[slot].handler = handler
        registrations[slot].fd = fd
        let id = RegistrationID(slot: slot, generation: registrations[slot].generation)
        let data = UInt64(slot) | UInt64(id.generation) << 32
        do {
            try syscallBlocking("epoll_ctl(ADD)") { zk_epoll_ctl(epfd, ZK_EPOLL_CTL_ADD, fd, interest, data) }
        } catch {
            registrations[slot].handler = nil
            freeRegistrations.append(slot)
            throw error
        }
        return id
    }

    /// Changes the readiness interest of a registered descriptor.
    ///
    /// - Throws: `SystemError` from epoll_ctl.
    public func modify(_ id: RegistrationID, interest: UInt32) throws(SystemError) {
        let data = UInt64(id.slot) | UInt64(id.generation) << 32
        let fd = registrations[id.slot].fd
        try syscallBlocking("epoll_ctl(MOD)") { zk_epoll_ctl(epfd, ZK_EPOLL_CTL_MOD, fd, interest, data) }
    }

    /// Removes a descriptor; call before closing it. Events already fetched for it are dropped.
    public func deregister(_ id: RegistrationID) {
        guard id.slot < registrations.count, registrations[id.slot].generation == id.generation else { return }
        _ = zk_epoll_ctl(epfd, ZK_EPOLL_CTL_DEL, registrations[id.slot].fd, 0, 0)
        registrations[id.slot].handler = nil
        registrations[id.slot].fd = -1
        // Bump now, so an event for this slot later in the current batch is seen as stale.
        registrations[id.slot].generation &+= 1
        freeRegistrations.append(id.slot)
    }

    /// Registers a closure run once per loop iteration, after events, inbox and timers.
    /// Loop thread only (or after that thread has been joined). Returns an id for
    /// `removeIterationHook`.
    @discardableResult
    public func addIterationHook(_ hook: @escaping () -> Void) -> Int {
        nextHookID += 1
        iterationHooks.append((nextHookID, hook))
        return nextHookID
    }

    /// Stops running a hook: for an owner that leaves a loop that runs on. Loop thread only
    /// (or after that thread has been joined).
    public func removeIterationHook(_ id: Int) {
        iterationHooks.removeAll { $0.id == id }
    }
}
