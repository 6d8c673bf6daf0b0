import Synchronization
import Testing
@testable import ZooKeeperClient

/// The events stream's buffer on its own: order, waking a waiting consumer, and each way the
/// stream ends.
@Suite(.timeLimit(.minutes(1))) struct ClientEventStreamTests {
    /// Until the consumer is suspended in `next()`, so the test takes the path that wakes it.
    func waitForWaiter(_ buffer: ClientEventBuffer) async -> Bool {
        for _ in 0..<100_000 {
            if buffer.hasWaiter { return true }
            await Task.yield()
        }
        return buffer.hasWaiter
    }

    @Test func bufferedEventsComeInOrderThenNilAfterFinish() async {
        let buffer = ClientEventBuffer()
        let stream = ClientEventStream(buffer: buffer)
        for zxid in 1...5 { buffer.yield(.zxid(Int64(zxid))) }
        buffer.finish()
        buffer.yield(.zxid(99))  // after the end: dropped
        var seen: [ClientEvent] = []
        for await event in stream { seen.append(event) }
        #expect(seen == (1...5).map { .zxid(Int64($0)) })
    }

    @Test func aWaitingConsumerIsWokenByEachYield() async {
        let buffer = ClientEventBuffer()
        let stream = ClientEventStream(buffer: buffer)
        let consumer = Task {
            var seen: [ClientEvent] = []
            for await event in stream { seen.append(event) }
            return seen
        }
        for zxid in 1...200 {
            #expect(await waitForWaiter(buffer), "the consumer waits before event \(zxid)")
            buffer.yield(.zxid(Int64(zxid)))
        }
        buffer.finish()
        #expect(await consumer.value == (1...200).map { .zxid(Int64($0)) })
    }

    @Test func cancellingTheWaitingConsumerEndsTheStream() async {
        let buffer = ClientEventBuffer()
        let ended = Atomic<Int>(0)
        buffer.setOnTermination { ended.add(1, ordering: .relaxed) }
        let stream = ClientEventStream(buffer: buffer)
        let consumer = Task {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next()
        }
        #expect(await waitForWaiter(buffer), "the consumer waits")
        consumer.cancel()
        #expect(await consumer.value == nil)
        #expect(ended.load(ordering: .relaxed) == 1)
        // Ended for good: later yields are dropped and a new iterator sees the end.
        buffer.yield(.zxid(1))
        var again = stream.makeAsyncIterator()
        #expect(await again.next() == nil)
    }

    @Test func droppingTheStreamEndsItForTheProducer() {
        let buffer = ClientEventBuffer()
        let ended = Atomic<Int>(0)
        buffer.setOnTermination { ended.add(1, ordering: .relaxed) }
        do {
            let stream = ClientEventStream(buffer: buffer)
            _ = stream.makeAsyncIterator()
        }
        #expect(ended.load(ordering: .relaxed) == 1)
        // Set after the end: runs at once.
        buffer.setOnTermination { ended.add(1, ordering: .relaxed) }
        #expect(ended.load(ordering: .relaxed) == 2)
    }

    @Test func aCancelledConsumerStillGetsWhatWasBufferedThenNil() async {
        let buffer = ClientEventBuffer()
        let stream = ClientEventStream(buffer: buffer)
        for zxid in 1...3 { buffer.yield(.zxid(Int64(zxid))) }
        let consumer = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            var seen: [ClientEvent] = []
            for await event in stream { seen.append(event) }
            return seen
        }
        #expect(await consumer.value == (1...3).map { .zxid(Int64($0)) })
    }

    /// A consumer that lags behind a long burst: the buffer compacts as it goes, in order.
    @Test func aLaggingConsumerSeesALongBurstInOrder() async {
        let buffer = ClientEventBuffer()
        let stream = ClientEventStream(buffer: buffer)
        var iterator = stream.makeAsyncIterator()
        var next = 1
        for zxid in 1...5_000 {
            buffer.yield(.zxid(Int64(zxid)))
            if zxid % 3 == 0 {
                #expect(await iterator.next() == .zxid(Int64(next)))
                next += 1
            }
        }
        buffer.finish()
        while let event = await iterator.next() {
            #expect(event == .zxid(Int64(next)))
            next += 1
        }
        #expect(next == 5_001)
    }
}
