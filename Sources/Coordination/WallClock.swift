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
        let hex = String(UInt64(bitPattern: id), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
