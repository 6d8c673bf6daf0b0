import Coordination

/// The feed's change batches on their way to the sink, and the writes of ours waiting until
/// their own changes got there.
///
/// A write is answered only once its batch has reached the sink, as with the embedded store:
/// the sink queues the batch for every event loop before the writer resumes on its own loop,
/// so a client that reads after its write's answer never meets a cache entry the write made
/// stale. Marks with nothing to deliver (a write to the gateway's records, a sync with no
/// notification before it) pass through the queue as empty batches, so they keep their place
/// behind the batches still being delivered.
struct DeliveryQueue<Writer: Sendable>: Sendable {
    var batches: [ChangeBatch] = []
    var draining = false
    /// Every change at or below this zxid has reached the sink, or had nothing to deliver.
    private(set) var acknowledged: Int64 = 0
    private var waiters: [(zxid: Int64, writer: Writer)] = []

    /// Queues a batch (empty for a bare mark); returns whether the caller must start a drainer.
    mutating func enqueue(_ batch: ChangeBatch) -> Bool {
        batches.append(batch)
        defer { draining = true }
        return !draining
    }

    /// A mark with no events: acknowledged at once when nothing is ahead of it, else queued
    /// behind what is. Returns the writers to resume.
    mutating func passMark(_ zxid: Int64) -> (start: Bool, released: [Writer]) {
        guard draining else { return (false, acknowledge(zxid)) }
        return (enqueue(ChangeBatch(events: [], zxid: zxid)), [])
    }

    /// Claims the delivery of a batch in place, when nothing is queued or being delivered.
    mutating func claimIdle() -> Bool {
        guard !draining else { return false }
        draining = true
        return true
    }

    /// Hands a claimed batch to a drainer after all (it needs cache refreshes); the caller
    /// starts one.
    mutating func handOver(_ batch: ChangeBatch) {
        batches.append(batch)
    }

    /// Ends a delivery made in place, through `zxid`: returns the writers it releases, and
    /// whether batches queued meanwhile need a drainer.
    mutating func endInPlace(through zxid: Int64) -> (released: [Writer], start: Bool) {
        let released = acknowledge(zxid)
        guard batches.isEmpty else { return (released, true) }
        draining = false
        return (released, false)
    }

    /// Takes the queued batches, or ends the drain when there are none.
    mutating func takeBatches() -> [ChangeBatch] {
        defer { batches.removeAll() }
        if batches.isEmpty { draining = false }
        return batches
    }

    /// Everything through `zxid` reached the sink: returns the writers it releases.
    mutating func acknowledge(_ zxid: Int64) -> [Writer] {
        acknowledged = max(acknowledged, zxid)
        guard !waiters.isEmpty else { return [] }
        var released: [Writer] = []
        waiters.removeAll { waiter in
            guard waiter.zxid <= acknowledged else { return false }
            released.append(waiter.writer)
            return true
        }
        return released
    }

    /// Parks a writer until `zxid` is acknowledged; false (and nothing parked) when it already is.
    mutating func wait(for zxid: Int64, _ writer: Writer) -> Bool {
        guard zxid > acknowledged else { return false }
        waiters.append((zxid, writer))
        return true
    }

    /// Releases every writer: the feed has ended, and nothing more will be delivered.
    mutating func releaseAll() -> [Writer] {
        defer { waiters.removeAll() }
        return waiters.map(\.writer)
    }
}
