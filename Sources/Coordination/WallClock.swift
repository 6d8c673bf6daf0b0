#if canImport(Glibc)
import Glibc
#endif

/// The wall clock: ZooKeeper's ctime and mtime, grant times, Curator's `registrationTimeUTC`.
public enum WallClock {
    /// Milliseconds since the epoch.
    public static func milliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// Session ids as text: 16 lowercase hex digits (JSON numbers lose precision past 2^53).
public enum SessionText {
    public static func format(_ id: Int64) -> String {
        String(unsafeUninitializedCapacity: 16) { out in
            write(id, to: out.baseAddress!)
            return 16
        }
    }

    /// Writes the 16 digits at `out`, with no String made: every node's stat carries one.
    @inlinable @inline(__always)
    public static func write(_ id: Int64, to out: UnsafeMutablePointer<UInt8>) {
        let bits = UInt64(bitPattern: id)
        for i in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: bits >> UInt64(60 - 4 * i)) & 15
            out[i] = nibble < 10 ? nibble &+ 0x30 : nibble &+ 0x57
        }
    }
}
