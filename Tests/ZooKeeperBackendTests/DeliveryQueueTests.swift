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
        #expect(queue.enqueue(batch(5)) == true)
        #expect(queue.enqueue(batch(6)) == false)
        #expect(queue.takeBatches().map(\.zxid) == [5, 6])
        #expect(queue.takeBatches().isEmpty, "an empty take ends the drain")
        #expect(queue.enqueue(batch(7)) == true, "after the drain ended, the next batch starts another")
    }

    @Test("a writer waits for its zxid and is released by an acknowledgement at or past it")
    func writerReleased() {
        var queue = DeliveryQueue<Int>()
        #expect(queue.wait(for: 10, 1) == true)
        #expect(queue.wait(for: 12, 2) == true)
        #expect(queue.acknowledge(9).isEmpty)
        #expect(queue.acknowledge(10) == [1])
        #expect(queue.acknowledge(11).isEmpty)
        #expect(queue.acknowledge(13) == [2])
        #expect(queue.wait(for: 13, 3) == false, "an acknowledged zxid does not park")
        #expect(queue.wait(for: 2, 4) == false)
        #expect(queue.acknowledged == 13)
        _ = queue.acknowledge(4)  // an older zxid
        #expect(queue.acknowledged == 13, "the watermark never goes back")
    }

    @Test("a bare mark with nothing ahead releases at once")
    func bareMarkIdle() {
        var queue = DeliveryQueue<Int>()
        #expect(queue.wait(for: 20, 1) == true)
        let (start, released) = queue.passMark(20)
        #expect(!start)
        #expect(released == [1])
        #expect(queue.acknowledged == 20)
    }

    @Test("a bare mark behind a batch being delivered waits its turn")
    func bareMarkBehindBatch() {
        var queue = DeliveryQueue<Int>()
        #expect(queue.enqueue(batch(30)) == true)
        _ = queue.takeBatches()  // the drainer is delivering 30
        #expect(queue.wait(for: 31, 1) == true)
        let (start, released) = queue.passMark(31)
        #expect(!start, "the running drainer takes the mark")
        #expect(released.isEmpty, "not before batch 30 reached the sink")
        #expect(queue.acknowledge(30).isEmpty)
        let next = queue.takeBatches()
        #expect(next.map(\.zxid) == [31])
        #expect(next[0].events.isEmpty)
        #expect(queue.acknowledge(31) == [1])
    }

    @Test("at the feed's end every writer is released")
    func releaseAll() {
        var queue = DeliveryQueue<Int>()
        #expect(queue.wait(for: 40, 1) == true)
        #expect(queue.wait(for: 41, 2) == true)
        #expect(queue.releaseAll() == [1, 2])
        #expect(queue.acknowledge(50).isEmpty)
    }
}

extension DeliveryQueueTests {
    @Test("a batch delivered in place holds the queue: what arrives meanwhile waits for a drainer")
    func inPlace() {
        var queue = DeliveryQueue<Int>()
        #expect(queue.claimIdle() == true)
        #expect(queue.claimIdle() == false, "one delivery at a time")
        #expect(queue.enqueue(batch(2)) == false, "queued behind the delivery in place")
        #expect(queue.wait(for: 1, 7) == true, "a writer of the batch delivered in place waits for it")
        let ended = queue.endInPlace(through: 1)
        #expect(ended.released == [7], "ending the delivery releases its writer")
        #expect(ended.start, "the queued batch needs a drainer")
        #expect(queue.takeBatches().map(\.zxid) == [2])
        #expect(queue.takeBatches().isEmpty)
        #expect(queue.claimIdle() == true)
        #expect(queue.endInPlace(through: 4).start == false, "nothing queued: the queue is idle again")
        #expect(queue.claimIdle() == true)
        queue.handOver(batch(3))
        #expect(queue.takeBatches().map(\.zxid) == [3], "a handed-over batch goes to the drainer")
    }
}
