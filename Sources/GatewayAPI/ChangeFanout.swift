import Coordination
import Reactor
import Synchronization

/// Delivers the backend's change batches to every loop that serves the API: one job per loop
/// per batch, whatever the number of parked requests (they are woken on their loop).
final class ChangeFanout: Sendable {
    private let targets = Mutex<[(EventLoop, LoopState)]>([])

    func register(_ loop: EventLoop, _ state: LoopState) {
        targets.withLock { $0.append((loop, state)) }
    }

    func publish(_ batch: ChangeBatch) {
        for (loop, state) in targets.withLock({ $0 }) {
            loop.execute { state.apply(batch) }
        }
    }
}
