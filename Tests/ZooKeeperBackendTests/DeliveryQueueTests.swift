import Coordination
import Testing
@testable import ZooKeeperBackend

/// The queue between the feed and the sink: a writer is released only once everything through
/// its zxid has been delivered, and a bare mark never overtakes a batch still on its way.
@Suite("DeliveryQueue")
struct DeliveryQueueTests {
    func batch(_ zxid: Int64, events: Int = 1) -> ChangeBatch {
        let path = try! ZNodePath(validating: "/n\(zxid)")
        return ChangeBatch(events: (0..<events).map { _ in WatchEvent(kind: .dataChanged, path: path, zxid: zxid) }, zxid: zxid)
    }

    @Test("the first batch starts a drainer; later ones join its drain")
    func oneDrainer() {
        var queue = DeliveryQueue<Int>()
        do {
            let value = queue.enqueue(batch(5))
            #expect(value)
        }
        do {
            let value = queue.enqueue(batch(6))
            #expect(!value)
        }
        do {
            let value = queue.takeBatches()
            #expect(value.map(\.zxid) == [5, 6])
        }
        do {
            let value = queue.takeBatches()
            #expect(value.isEmpty, "an empty take ends the drain")
        }
        do {
            let value = queue.enqueue(batch(7))
            #expect(value, "after the drain ended, the next batch starts another")
        }
    }

    @Test("a writer waits for its zxid and is released by an acknowledgement at or past it")
    func writerReleased() {
        var queue = DeliveryQueue<Int>()
        do {
            let value = queue.wait(for: 10, 1)
            #expect(value)
        }
        do {
            let value = queue.wait(for: 12, 2)
            #expect(value)
        }
        do {
            let value = queue.acknowledge(9)
            #expect(value.isEmpty)
        }
        do {
            let value = queue.acknowledge(10)
            #expect(value == [1])
        }
        do {
            let value = queue.acknowledge(11)
            #expect(value.isEmpty)
        }
        do {
            let value = queue.acknowledge(13)
            #expect(value == [2])
        }
        do {
            let value = queue.wait(for: 13, 3)
            #expect(!value, "an acknowledged zxid does not park")
        }
        do {
            let value = queue.wait(for: 2, 4)
            #expect(!value)
        }
        #expect(queue.acknowledged == 13)
        do {
            let value = queue.acknowledge(4)
            #expect(value.isEmpty)
        }
        #expect(queue.acknowledged == 13, "the watermark never goes back")
    }

    @Test("a bare mark with nothing ahead releases at once")
    func bareMarkIdle() {
        var queue = DeliveryQueue<Int>()
        do {
            let value = queue.wait(for: 20, 1)
            #expect(value)
        }
        let (start, released) = queue.passMark(20)
        #expect(!start)
        #expect(released == [1])
        #expect(queue.acknowledged == 20)
    }

    @Test("a bare mark behind a batch being delivered waits its turn")
    func bareMarkBehindBatch() {
        var queue = DeliveryQueue<Int>()
        do {
            let value = queue.enqueue(batch(30))
            #expect(value)
        }
        _ = queue.takeBatches()  // the drainer is delivering 30
        do {
            let value = queue.wait(for: 31, 1)
            #expect(value)
        }
        let (start, released) = queue.passMark(31)
        #expect(!start, "the running drainer takes the mark")
        #expect(released.isEmpty, "not before batch 30 reached the sink")
        do {
            let value = queue.acknowledge(30)
            #expect(value.isEmpty)
        }
        let next = queue.takeBatches()
        #expect(next.map(\.zxid) == [31])
        #expect(next[0].events.isEmpty)
        do {
            let value = queue.acknowledge(31)
            #expect(value == [1])
        }
    }

    @Test("at the feed's end every writer is released")
    func releaseAll() {
        var queue = DeliveryQueue<Int>()
        do {
            let value = queue.wait(for: 40, 1)
            #expect(value)
        }
        do {
            let value = queue.wait(for: 41, 2)
            #expect(value)
        }
        do {
            let value = queue.releaseAll()
            #expect(value == [1, 2])
        }
        do {
            let value = queue.acknowledge(50)
            #expect(value.isEmpty)
        }
    }
}

extension DeliveryQueueTests {
    @Test("a batch delivered in place holds the queue: what arrives meanwhile waits for a drainer")
    func inPlace() {
        var queue = DeliveryQueue<Int>()
        do {
            let value = queue.claimIdle()
            #expect(value)
        }
        do {
            let value = queue.claimIdle()
            #expect(!value, "one delivery at a time")
        }
        do {
            let value = queue.enqueue(batch(2))
            #expect(!value, "queued behind the delivery in place")
        }
        do {
            let value = queue.endInPlace()
            #expect(value, "the queued batch needs a drainer")
        }
        #expect(queue.takeBatches().map(\.zxid) == [2])
        #expect(queue.takeBatches().isEmpty)
        do {
            let value = queue.claimIdle()
            #expect(value)
        }
        do {
            let value = queue.endInPlace()
            #expect(!value, "nothing queued: the queue is idle again")
        }
        do {
            let value = queue.claimIdle()
            #expect(value)
        }
        queue.handOver(batch(3))
        #expect(queue.takeBatches().map(\.zxid) == [3], "a handed-over batch goes to the drainer")
    }
}
