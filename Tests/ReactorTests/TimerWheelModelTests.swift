import Reactor
import Testing
import TestSupport

/// The obvious, slow implementation: live timers with their due tick.
private struct ReferenceTimers {
    var current: UInt64
    var due: [Int: UInt64] = [:]

    mutating func schedule(_ payload: Int, at tick: UInt64) { due[payload] = max(tick, current + 1) }
    mutating func cancel(_ payload: Int) -> Int? { due.removeValue(forKey: payload).map { _ in payload } }
    mutating func advance(to tick: UInt64) -> [Int] {
        guard tick > current else { return [] }
        current = tick
        let fired = due.filter { $0.value <= tick }.map(\.key)
        for payload in fired { due[payload] = nil }
        return fired.sorted()
    }
}

@Suite("TimerWheel against a reference model")
struct TimerWheelModelTests {
    @Test(arguments: [(UInt64(1), 64), (2, 64), (3, 128), (4, 4096), (5, 64)])
    func randomOperationsMatchTheModel(seed: UInt64, slots: Int) {
        var rng = SeededGenerator(seed: seed)
        var wheel = TimerWheel<Int>(slots: slots, startTick: 100)
        var model = ReferenceTimers(current: 100)
        var ids: [Int: TimerID] = [:]
        var nextPayload = 0
        var mismatches = 0

        for step in 0..<5000 where mismatches == 0 {
            switch UInt64.random(in: 0..<10, using: &rng) {
            case 0..<5:
                // Mostly near, some past, some several revolutions ahead.
                let span = UInt64(slots) * 4
                let tick = model.current + UInt64.random(in: 0..<span, using: &rng) - min(model.current, 5)
                ids[nextPayload] = wheel.schedule(at: tick, nextPayload)
                model.schedule(nextPayload, at: tick)
                nextPayload += 1
            case 5..<7:
                // Any payload ever scheduled: live ones cancel, stale ones must not.
                guard nextPayload > 0 else { continue }
                let payload = Int.random(in: 0..<nextPayload, using: &rng)
                let got = wheel.cancel(ids[payload]!)
                let expected = model.cancel(payload)
                if got != expected { mismatches += 1 }
                #expect(got == expected, "step \(step): cancel \(payload)")
            default:
                let jump = UInt64.random(in: 0..<10, using: &rng) == 0
                    ? UInt64.random(in: 0..<UInt64(slots) * 3, using: &rng)
                    : UInt64.random(in: 0..<8, using: &rng)
                let target = model.current + jump
                let got = wheel.fire(upTo: target).sorted()
                let expected = model.advance(to: target)
                if got != expected { mismatches += 1 }
                #expect(got == expected, "step \(step): advance to \(target)")
            }
            #expect(wheel.count == model.due.count)
            let earliest = model.due.values.min()
            if let earliest, let next = wheel.nextTick() {
                // Never late, and never for a tick already processed.
                #expect(next <= earliest, "step \(step)")
                #expect(next > wheel.currentTick, "step \(step)")
                if next > earliest || next <= wheel.currentTick { mismatches += 1 }
            } else {
                #expect(wheel.nextTick() == nil && earliest == nil, "step \(step)")
            }
        }
        #expect(nextPayload > 1000)
    }

    @Test func followingNextTickFiresEveryTimerOnTime() {
        // The event loop sleeps until nextTick(); doing so must never skip past a due timer.
        var rng = SeededGenerator(seed: 42)
        var wheel = TimerWheel<UInt64>(slots: 64)
        for _ in 0..<2000 {
            let tick = UInt64.random(in: 1...5000, using: &rng)
            _ = wheel.schedule(at: tick, tick)
        }
        var late: [UInt64] = []
        var fired = 0
        while let next = wheel.nextTick() {
            let due = wheel.fire(upTo: next)
            fired += due.count
            late += due.filter { $0 != next }
        }
        #expect(fired == 2000)
        #expect(late.isEmpty)
    }
}
