/// The shape of path the rules decide on: absolute, no empty segment, no `.` or `..` segment,
/// no trailing `/` except the root `/`. The server passes paths normalized and percent-decoded;
/// any other shape is denied whatever the policy says, so that a path which resolves elsewhere
/// (`/devices/dev1/../dev2`) can never borrow the grant of the text it starts with.
enum NormalizedPath {
    /// One segment of a checked path: its bytes' bounds and `SegmentTable.hash`.
    struct Segment {
        var start: Int
        var end: Int
        var hash: UInt64
    }

    /// Checks `path` in one pass, recording the first `segments.count` segments; returns how
    /// many segments it has (0 for `/`), or nil when it is not normalized.
    static func scan(_ path: UnsafeBufferPointer<UInt8>, into segments: UnsafeMutableBufferPointer<Segment>) -> Int? {
        guard path.count > 0, path[0] == slash else { return nil }
        if path.count == 1 { return 0 }
        var count = 0
        var start = 1
        while true {
            let end = nextSlash(path, from: start)
            let length = end &- start
            if length == 0 { return nil }
            if path[start] == dot && (length == 1 || (length == 2 && path[start &+ 1] == dot)) { return nil }
            if count < segments.count {
                segments[count] = Segment(start: start, end: end, hash: SegmentTable.hash(path, from: start, to: end))
            }
            count &+= 1
            if end == path.count { return count }
            start = end &+ 1
        }
    }

    /// The index of the first `/` at or after `i`, or `path.count`: 8 bytes at a time, with
    /// the bit trick that finds a zero byte in a word (here in the word XOR "////////"; the
    /// lowest flagged byte is always a true one).
    @inline(__always)
    static func nextSlash(_ path: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        var i = i
        while i &+ 8 <= path.count {
            let x = SegmentTable.word(path, at: i) ^ 0x2F2F_2F2F_2F2F_2F2F
            let found = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            if found != 0 { return i &+ found.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        while i < path.count && path[i] != slash { i &+= 1 }
        return i
    }

    static func isNormalized(_ path: String) -> Bool {
        Array(path.utf8).withUnsafeBufferPointer { scan($0, into: UnsafeMutableBufferPointer(start: nil, count: 0)) } != nil
    }

    /// The segments of a normalized `path` (none for `/`); nil when it is not normalized.
    static func segments(of path: String) -> [[UInt8]]? {
        guard isNormalized(path) else { return nil }
        let bytes = Array(path.utf8)
        return bytes.count == 1 ? [] : bytes.dropFirst().split(separator: slash).map(Array.init)
    }
}

private let dot = UInt8(ascii: ".")
