import Dispatch
import Glibc
import Reactor
import Synchronization
import Testing

/// Loops shared by several owners: each on its own thread, hooks an owner can take back, and
/// a stop that ends them all once.
@Suite struct EventLoopGroupTests {
    @Test func eachLoopRunsJobsOnItsOwnThread() {
        let group = try! EventLoopGroup(count: 3, name: "test-loop")
        defer { group.stop() }
        let seen = Mutex<[Int: Bool]>([:])
        let threads = Mutex<Set<UInt>>([])
        let done = DispatchSemaphore(value: 0)
        for loop in group.loops {
            loop.execute {
                seen.withLock { $0[loop.index] = loop.inEventLoop }
                _ = threads.withLock { $0.insert(UInt(bitPattern: Int(bitPattern: pthread_self()))) }
                done.signal()
            }
        }
        for _ in group.loops { #expect(done.wait(timeout: .now() + 5) == .success) }
        #expect(seen.withLock { $0 } == [0: true, 1: true, 2: true])
        #expect(threads.withLock { $0.count } == 3, "three threads, one a loop")
        #expect(!group.loops[0].inEventLoop, "the test's own thread is none of them")
    }

    @Test func enqueueOnTheLoopNeedsNoWakeAndStillRuns() {
        let group = try! EventLoopGroup(count: 1, name: "test-loop")
        defer { group.stop() }
        let loop = group.loops[0]
        let answers = Mutex<[Bool]>([])
        let ran = DispatchSemaphore(value: 0)
        loop.execute {
            // On the loop: the job runs before the loop next sleeps, with no eventfd write.
            let wake = loop.enqueue { ran.signal() }
            answers.withLock { $0.append(wake) }
        }
        #expect(ran.wait(timeout: .now() + 5) == .success, "the job enqueued on the loop ran")
        #expect(answers.withLock { $0 } == [false])
        // From another thread, the first producer after a drain is told to wake the loop.
        let woke = DispatchSemaphore(value: 0)
        var wake = false
        for _ in 0..<500 where !wake {
            wake = loop.enqueue { woke.signal() }
            if wake { loop.wake() } else { usleep(2_000) }
        }
        #expect(wake, "a producer off the loop is asked to wake it")
        #expect(woke.wait(timeout: .now() + 5) == .success)
    }

    @Test func aRemovedIterationHookIsNoLongerRun() {
        let group = try! EventLoopGroup(count: 1, name: "test-loop")
        defer { group.stop() }
        let loop = group.loops[0]
        let runs = Atomic<Int>(0)
        let hook = Mutex<Int?>(nil)
        let step = DispatchSemaphore(value: 0)
        loop.execute {
            hook.withLock { $0 = loop.addIterationHook { runs.add(1, ordering: .relaxed) } }
            step.signal()
        }
        #expect(step.wait(timeout: .now() + 5) == .success)
        loop.execute { step.signal() }  // one more iteration: the hook ran
        #expect(step.wait(timeout: .now() + 5) == .success)
        let before = runs.load(ordering: .relaxed)
        #expect(before >= 1)
        loop.execute {
            loop.removeIterationHook(hook.withLock { $0! })
            step.signal()
        }
        #expect(step.wait(timeout: .now() + 5) == .success)
        let after = runs.load(ordering: .relaxed)
        for _ in 0..<3 {
            loop.execute { step.signal() }
            #expect(step.wait(timeout: .now() + 5) == .success)
        }
        let later = runs.load(ordering: .relaxed)
        #expect(later == after)
    }

    @Test func stopEndsEveryThreadAndCanBeRepeated() {
        let group = try! EventLoopGroup(count: 2, name: "test-loop")
        group.stop()
        group.stop()
        let ran = Atomic<Int>(0)
        for loop in group.loops { loop.execute { ran.add(1, ordering: .relaxed) } }
        usleep(50_000)
        let didRun = ran.load(ordering: .relaxed)
        #expect(didRun == 0, "no stopped loop runs jobs")
    }
}
