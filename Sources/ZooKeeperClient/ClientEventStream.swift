import Synchronization

/// What `ZooKeeperClient.events()` returns: the client's events in the order the loop saw
/// them, buffered without bound, for one consumer at a time.
///
/// Our own type rather than `AsyncStream`: AsyncStream's generic code runs unspecialized in
/// the concurrency library, and its yield cost about 3,800 instructions (metadata lookups for
/// its buffer and continuation types), twice for every write the gateway makes.
///
/// The stream ends (`next()` returns nil) when the client closes, when the consuming task is
/// cancelled while it waits, or for a consumer that dropped every copy of the stream.
public struct ClientEventStream: AsyncSequence, Sendable {
    public typealias Element = ClientEvent
    let buffer: ClientEventBuffer
    /// Held only by the consumer's side: when the last copy goes, the stream ends.
    let lifetime: Lifetime

    init(buffer: ClientEventBuffer) {
        self.buffer = buffer
        lifetime = Lifetime(buffer)
    }

    public func makeAsyncIterator() -> Iterator { Iterator(buffer: buffer, lifetime: lifetime) }

    public struct Iterator: AsyncIteratorProtocol {
        let buffer: ClientEventBuffer
        let lifetime: Lifetime

        public mutating func next() async -> ClientEvent? { await buffer.next() }
    }

    final class Lifetime: Sendable {
        let buffer: ClientEventBuffer
        init(_ buffer: ClientEventBuffer) { self.buffer = buffer }
        deinit { buffer.finish() }
    }
}

/// The producer's side of a `ClientEventStream` (the client's loop yields into it).
final class ClientEventBuffer: Sendable {
    private struct State {
        var events: [ClientEvent] = []
        var head = 0
        var waiter: UnsafeContinuation<ClientEvent?, Never>?
        var finished = false
        var onTermination: (@Sendable () -> Void)?

        mutating func take() -> ClientEvent? {
            guard head < events.count else { return nil }
            let event = events[head]
            head += 1
            if head == events.count {
                events.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= events.count {
                // A consumer that lags keeps no more than as many consumed events as waiting ones.
                events.removeFirst(head)
                head = 0
            }
            return event
        }
    }

    private let state = Mutex(State())

    /// Whether a consumer is suspended waiting for the next event (for tests).
    var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    /// Runs once, on the stream's end for any reason (at once if it has already ended).
    func setOnTermination(_ action: @escaping @Sendable () -> Void) {
        let ended = state.withLock { s in
            if s.finished { return true }
            s.onTermination = action
            return false
        }
        if ended { action() }
    }

    func yield(_ event: ClientEvent) {
        let waiter: UnsafeContinuation<ClientEvent?, Never>? = state.withLock { s in
            if s.finished { return nil }
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            s.events.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// Ends the stream: events already buffered are still delivered, then nil.
    func finish() {
        let (waiter, action) = state.withLock { s in
            s.finished = true
            defer { s.waiter = nil; s.onTermination = nil }
            return (s.waiter, s.onTermination)
        }
        waiter?.resume(returning: nil)
        action?()
    }

    func next() async -> ClientEvent? {
        let ready: ClientEvent?? = state.withLock { s in
            if let event = s.take() { return .some(event) }
            return s.finished ? .some(nil) : .none
        }
        if let ready { return ready }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (c: UnsafeContinuation<ClientEvent?, Never>) in
                let ready: ClientEvent?? = state.withLock { s in
                    if let event = s.take() { return .some(event) }
                    if s.finished { return .some(nil) }
                    precondition(s.waiter == nil, "a ClientEventStream has one consumer at a time")
                    s.waiter = c
                    return .none
                }
                if let ready { c.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }
}
