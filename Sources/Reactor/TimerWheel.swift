/// Identifies a scheduled timer; stale after it fires or is cancelled.
public struct TimerID: Hashable, Sendable {
    let index: UInt32
    let generation: UInt32
    /// A value that never names a live timer.
    public static let none = TimerID(index: .max, generation: 0)
}

/// A hashed timing wheel (Varghese & Lauck): O(1) schedule and cancel, no allocation once the
/// node pool has grown to the peak number of live timers.
///
/// It is a sans-IO value type: time is a tick count the caller supplies, and expiry hands
/// payloads back instead of calling anything. A timer never fires before its tick.
public struct TimerWheel<Payload> {
    public typealias ID = TimerID

    private struct Node {
        var next: Int32 = -1
        var prev: Int32 = -1
        var slot: Int32 = -1
        var tick: UInt64 = 0
        var generation: UInt32 = 1
        var payload: Payload?
    }

    private var nodes: [Node] = []
    private var freeList: [Int32] = []
    private var heads: [Int32]
    private var occupied: [UInt64]
    private let mask: Int
    /// The last tick whose slot has been fully processed.
    public private(set) var currentTick: UInt64
    /// Live timers.
    public private(set) var count = 0

    /// - Parameters:
    ///   - slots: wheel size, rounded up to a power of two (at least 64).
    ///   - startTick: the tick considered already processed.
    public init(slots: Int = 4096, startTick: UInt64 = 0) {
        var size = 64
        while size < slots { size <<= 1 }
        heads = Array(repeating: -1, count: size)
        occupied = Array(repeating: 0, count: size / 64)
        mask = size - 1
        currentTick = startTick
    }

    /// Schedules `payload` for `tick`; a tick already passed fires at the next `advance`.
    public mutating func schedule(at tick: UInt64, _ payload: Payload) -> ID {
        let index: Int32
        if let reused = freeList.popLast() {
            index = reused
        } else {
            index = Int32(nodes.count)
            nodes.append(Node())
        }
        let due = max(tick, currentTick + 1)
        let slot = Int(due & UInt64(mask))
        nodes[Int(index)].tick = due
        nodes[Int(index)].payload = payload
        link(index, slot: slot)
        count += 1
        return ID(index: UInt32(index), generation: nodes[Int(index)].generation)
    }

    /// Cancels a timer, returning its payload, or nil when it already fired or was cancelled.
    @discardableResult
    public mutating func cancel(_ id: ID) -> Payload? {
        let i = Int(id.index)
        guard i < nodes.count, nodes[i].generation == id.generation, nodes[i].slot >= 0 else {
            return nil
        }
        let payload = nodes[i].payload
        unlink(Int32(i))
        release(Int32(i))
        return payload
    }

    /// Processes every tick up to `tick`, appending the payloads that are due.
    public mutating func advance(to tick: UInt64, into expired: inout [Payload]) {
        guard tick > currentTick else { return }
        let steps = min(tick - currentTick, UInt64(mask + 1))
        var t = currentTick
        for _ in 0..<steps {
            t += 1
            let slot = Int(t & UInt64(mask))
            var cursor = heads[slot]
            while cursor >= 0 {
                let next = nodes[Int(cursor)].next
                if nodes[Int(cursor)].tick <= tick {
                    if let payload = nodes[Int(cursor)].payload { expired.append(payload) }
                    unlink(cursor)
                    release(cursor)
                }
                cursor = next
            }
        }
        currentTick = tick
    }

    /// The earliest tick at which `advance` may have work, or nil with no timers. It can be
    /// early (a slot holding only timers of a later revolution), never late.
    public func nextTick() -> UInt64? {
        guard count > 0 else { return nil }
        let size = mask + 1
        let start = Int((currentTick + 1) & UInt64(mask))
        // Scan the occupancy bitmap from `start`, wrapping once.
        var offset = 0
        while offset < size {
            let position = (start + offset) & mask
            let word = occupied[position >> 6] >> UInt64(position & 63)
            if word != 0 {
                let distance = offset + word.trailingZeroBitCount
                if distance < size { return currentTick + 1 + UInt64(distance) }
                break
            }
            offset += 64 - (position & 63)
        }
        return currentTick + UInt64(size)
    }

    private mutating func link(_ index: Int32, slot: Int) {
        nodes[Int(index)].slot = Int32(slot)
        nodes[Int(index)].prev = -1
        nodes[Int(index)].next = heads[slot]
        if heads[slot] >= 0 { nodes[Int(heads[slot])].prev = index }
        heads[slot] = index
        occupied[slot >> 6] |= 1 << UInt64(slot & 63)
    }

    private mutating func unlink(_ index: Int32) {
        let node = nodes[Int(index)]
        if node.prev >= 0 { nodes[Int(node.prev)].next = node.next } else { heads[Int(node.slot)] = node.next }
        if node.next >= 0 { nodes[Int(node.next)].prev = node.prev }
        if heads[Int(node.slot)] < 0 { occupied[Int(node.slot) >> 6] &= ~(1 << UInt64(Int(node.slot) & 63)) }
        nodes[Int(index)].slot = -1
        count -= 1
    }

    private mutating func release(_ index: Int32) {
        nodes[Int(index)].payload = nil
        nodes[Int(index)].generation &+= 1
        if nodes[Int(index)].generation == 0 { nodes[Int(index)].generation = 1 }
        freeList.append(index)
    }
}
