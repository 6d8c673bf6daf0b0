import Reactor
import Testing

extension TimerWheel {
    /// Advances to `tick` and returns what fired.
    mutating func fire(upTo tick: UInt64) -> [Payload] {
        var expired: [Payload] = []
        advance(to: tick, into: &expired)
        return expired
    }
}

@Suite("TimerWheel")
struct TimerWheelTests {
    @Test func scheduleAdvanceAndCount() {
        var wheel = TimerWheel<String>(slots: 64)
        #expect(wheel.nextTick() == nil)
        _ = wheel.schedule(at: 5, "a")
        _ = wheel.schedule(at: 3, "b")
        #expect(wheel.count == 2)
        #expect(wheel.fire(upTo: 2) == [])
        #expect(wheel.fire(upTo: 4) == ["b"])
        #expect(wheel.count == 1)
        #expect(wheel.fire(upTo: 5) == ["a"])
        #expect(wheel.count == 0)
        #expect(wheel.currentTick == 5)
        #expect(wheel.nextTick() == nil)
    }

    @Test(arguments: [1, 2, 63, 64, 65, 127, 128, 129, 200, 4095, 4096, 4097] as [UInt64])
    func firesAtExactlyItsTickWhenSteppedOneTickAtATime(tick: UInt64) {
        var wheel = TimerWheel<Int>(slots: 64)
        _ = wheel.schedule(at: tick, 1)
        var firedAt: [UInt64] = []
        for t in 1...(tick + 70) {
            if !wheel.fire(upTo: t).isEmpty { firedAt.append(t) }
        }
        #expect(firedAt == [tick])
    }

    @Test func laterRevolutionsInTheSameSlotWaitForTheirTurn() {
        // 8, 72, 136 and 200 share slot 8 of a 64-slot wheel.
        var wheel = TimerWheel<UInt64>(slots: 64)
        for tick: UInt64 in [200, 8, 136, 72] { _ = wheel.schedule(at: tick, tick) }
        #expect(wheel.fire(upTo: 8) == [8])
        #expect(wheel.fire(upTo: 71) == [])
        #expect(wheel.fire(upTo: 72) == [72])
        #expect(wheel.fire(upTo: 199) == [136])
        #expect(wheel.fire(upTo: 200) == [200])
        #expect(wheel.count == 0)
    }

    @Test func jumpOfManyRevolutionsFiresOnlyWhatIsDue() {
        var wheel = TimerWheel<UInt64>(slots: 64)
        for tick: UInt64 in [1, 63, 64, 500, 999, 1000, 1001, 5000] { _ = wheel.schedule(at: tick, tick) }
        #expect(wheel.fire(upTo: 1000).sorted() == [1, 63, 64, 500, 999, 1000])
        #expect(wheel.fire(upTo: 1_000_000_000_000).sorted() == [1001, 5000])
        #expect(wheel.currentTick == 1_000_000_000_000)
    }

    @Test func manyTimersInOneSlot() {
        var wheel = TimerWheel<Int>(slots: 64)
        for i in 0..<1000 { _ = wheel.schedule(at: 10, i) }
        for i in 1000..<1100 { _ = wheel.schedule(at: 10 + 64 * 3, i) }
        #expect(wheel.fire(upTo: 9) == [])
        #expect(wheel.fire(upTo: 10).sorted() == Array(0..<1000))
        #expect(wheel.count == 100)
        #expect(wheel.fire(upTo: 10 + 64 * 3 - 1) == [])
        #expect(wheel.fire(upTo: 10 + 64 * 3).sorted() == Array(1000..<1100))
    }

    @Test func pastTicksFireAtTheNextAdvanceNotBefore() {
        var wheel = TimerWheel<String>(slots: 64, startTick: 1000)
        _ = wheel.schedule(at: 3, "past")
        _ = wheel.schedule(at: 1000, "now")
        #expect(wheel.nextTick() == 1001)
        #expect(wheel.fire(upTo: 1000) == [])
        #expect(wheel.fire(upTo: 1001).sorted() == ["now", "past"])
    }

    @Test func startTickIsTheOrigin() {
        var wheel = TimerWheel<Int>(slots: 64, startTick: 1 << 40)
        _ = wheel.schedule(at: (1 << 40) + 5, 7)
        #expect(wheel.nextTick() == (1 << 40) + 5)
        #expect(wheel.fire(upTo: (1 << 40) + 4) == [])
        #expect(wheel.fire(upTo: (1 << 40) + 5) == [7])
    }

    @Test func cancelReturnsThePayloadOnceAndNeverAfterFiring() {
        var wheel = TimerWheel<String>(slots: 64)
        let a = wheel.schedule(at: 5, "a")
        let b = wheel.schedule(at: 5, "b")
        #expect(wheel.cancel(a) == "a")
        #expect(wheel.cancel(a) == nil)
        #expect(wheel.count == 1)
        #expect(wheel.fire(upTo: 5) == ["b"])
        #expect(wheel.cancel(b) == nil)
        #expect(wheel.cancel(.none) == nil)
        #expect(wheel.count == 0)
    }

    @Test func staleIDsCannotCancelTheTimerThatReusedTheirNode() {
        var wheel = TimerWheel<String>(slots: 64)
        let cancelled = wheel.schedule(at: 5, "old")
        wheel.cancel(cancelled)
        let reuser = wheel.schedule(at: 6, "new")
        #expect(wheel.cancel(cancelled) == nil)
        #expect(wheel.count == 1)

        let fired = wheel.schedule(at: 6, "fired")
        #expect(wheel.fire(upTo: 6).sorted() == ["fired", "new"])
        let second = wheel.schedule(at: 9, "second")
        let third = wheel.schedule(at: 9, "third")
        #expect(wheel.cancel(fired) == nil)
        #expect(wheel.cancel(reuser) == nil)
        #expect(wheel.count == 2)
        #expect(wheel.cancel(third) == "third")
        #expect(wheel.cancel(second) == "second")
    }

    @Test func nextTickIsExactWithinOneRevolutionAndEarlyBeyondIt() {
        var wheel = TimerWheel<Int>(slots: 64)
        let far = wheel.schedule(at: 1000, 1)
        let next = wheel.nextTick()
        #expect(next != nil && next! >= 1 && next! <= 1000)
        _ = wheel.schedule(at: 40, 2)
        #expect(wheel.nextTick() == 40)
        wheel.cancel(far)
        #expect(wheel.nextTick() == 40)
    }
}
