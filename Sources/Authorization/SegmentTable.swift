/// The literal edges of the compiled rules: (parent node, segment bytes) → child node, in one
/// open-addressing table. A lookup takes the hash of the request's segment (computed once per
/// segment, as the path is checked) and compares the bytes where they lie: no String, no
/// allocation.
struct SegmentTable: Sendable {
    struct Edge: Sendable {
        var hash: UInt64
        var parent: Int32
        var child: Int32
        /// The label's bytes in `labels`.
        var start: Int32
        var count: Int32
    }

    /// Indexes into `edges`, -1 for an empty slot; a power of two long, at most half full, so
    /// probes stay short whatever a request's segment is.
    private let slots: [Int32]
    private let edges: [Edge]
    private let labels: [UInt8]

    init(_ list: [(parent: Int32, label: [UInt8], child: Int32)]) {
        var capacity = 2
        while capacity < list.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        var edges: [Edge] = []
        edges.reserveCapacity(list.count)
        var labels: [UInt8] = []
        for (parent, label, child) in list {
            let hash = Self.hash(parent: Int(parent), segment: Self.hash(label))
            var slot = Int(truncatingIfNeeded: hash) & (capacity - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = Int32(edges.count)
            edges.append(Edge(hash: hash, parent: parent, child: child, start: Int32(labels.count), count: Int32(label.count)))
            labels += label
        }
        self.slots = slots
        self.edges = edges
        self.labels = labels
    }

    /// The child of `parent` along the literal `segment`, whose `hash(_:)` is `segmentHash`;
    /// or nil.
    @inline(__always)
    func child(of parent: Int, _ segment: UnsafeBufferPointer<UInt8>, segmentHash: UInt64) -> Int? {
        let hash = Self.hash(parent: parent, segment: segmentHash)
        return slots.withUnsafeBufferPointer { slots in
            edges.withUnsafeBufferPointer { edges in
                labels.withUnsafeBufferPointer { labels in
                    let mask = slots.count &- 1
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    while true {
                        let e = Int(slots[slot])
                        if e < 0 { return nil }
                        let edge = edges[e]
                        if edge.hash == hash && Int(edge.parent) == parent && Int(edge.count) == segment.count
                            && Self.equal(labels, from: Int(edge.start), segment) {
                            return Int(edge.child)
                        }
                        slot = (slot &+ 1) & mask
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func equal(_ labels: UnsafeBufferPointer<UInt8>, from start: Int, _ segment: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < segment.count {
            if labels[start &+ i] != segment[i] { return false }
            i &+= 1
        }
        return true
    }

    /// The hash of the segment `bytes[start..<end]`, 8 bytes at a time: a word load (which may
    /// reach into the bytes around the segment, never outside `bytes`) then a mask or shift to
    /// keep the segment's bytes, so a short segment costs one step rather than one per byte.
    /// The words are read little-endian, so a label hashed alone and the same bytes inside a
    /// request's path hash alike on any machine.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: end &- start) &* 0x9E37_79B9_7F4A_7C15
        var i = start
        while end &- i >= 8 {
            h = mix(h, word(bytes, at: i))
            i &+= 8
        }
        let rest = end &- i
        guard rest > 0 else { return h }
        let unused = UInt64(truncatingIfNeeded: 8 &- rest) &* 8
        if i &+ 8 <= bytes.count {
            return mix(h, word(bytes, at: i) & (UInt64.max &>> unused))
        }
        if end >= 8 {
            return mix(h, word(bytes, at: end &- 8) &>> unused)
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < end {
            tail |= UInt64(bytes[i]) &<< shift
            shift &+= 8
            i &+= 1
        }
        return mix(h, tail)
    }

    static func hash(_ label: [UInt8]) -> UInt64 {
        label.withUnsafeBufferPointer { hash($0, from: 0, to: $0.count) }
    }

    /// The 8 bytes at `i` as a little-endian word; the caller has checked `i + 8 <= bytes.count`.
    @inline(__always)
    static func word(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress!).loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }

    /// MurmurHash3's block step.
    @inline(__always)
    private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        var k = word &* 0x87C3_7B91_1142_53D5
        k = k &<< 31 | k &>> 33
        k &*= 0x4CF5_AD43_2745_937F
        let h = h ^ k
        return (h &<< 27 | h &>> 37) &* 5 &+ 0x52DC_E729
    }

    /// The edge's hash: the segment's and the parent's, mixed (MurmurHash3's finalizer) so the
    /// low bits that pick a slot depend on every byte and on the parent.
    @inline(__always)
    static func hash(parent: Int, segment: UInt64) -> UInt64 {
        var h = segment ^ (UInt64(truncatingIfNeeded: parent) &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
