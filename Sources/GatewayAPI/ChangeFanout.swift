import Coordination
import Recipes
import Reactor
import Waiting
import Synchronization

/// Delivers the backend's change batches to every loop that serves the API: one job per loop
/// per batch, whatever the number of parked requests (they are woken on their loop).
///
/// It also keeps the watch feed's history: one lock per batch to record, and one per feed
/// request that reads it (never per wake-up: a woken feed renders from the batch itself).
final class ChangeFanout: Sendable {
    private let targets = Mutex<[(EventLoop, LoopState)]>([])
    /// The zxid of the last batch published, set before it is queued for the loops: a loop
    /// whose applied index has reached it has nothing queued that an answer could overtake.
    let published = Atomic<Int64>(0)
    let history: Mutex<ChangeHistory>
    let remote = ChangeWaiters()

    init(historyCapacity: Int, startingAt index: Int64) {
        history = Mutex(ChangeHistory(capacity: historyCapacity, startingAt: index))
    }

    func register(_ loop: EventLoop, _ state: LoopState) {
        targets.withLock { $0.append((loop, state)) }
    }

    func publish(_ batch: ChangeBatch) {
        history.withLock { $0.record(batch) }
        published.store(batch.zxid, ordering: .releasing)
        for (loop, state) in targets.withLock({ $0 }) {
            loop.execute { state.apply(batch) }
        }
        remote.publish(batch)
    }
}
