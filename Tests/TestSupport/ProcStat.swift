import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time a process has used, in clock ticks (utime + stime of all its threads), from
/// /proc/PID/stat fields 14 and 15.
public func cpuTicks(pid: pid_t) throws -> Int {
    let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    guard let close = text.lastIndex(of: ")") else { throw HTTPClientError.malformed("/proc/\(pid)/stat") }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // fields[0] is field 3 (state), so field n is fields[n - 3].
    guard fields.count > 12, let utime = Int(fields[11]), let stime = Int(fields[12]) else {
        throw HTTPClientError.malformed("/proc/\(pid)/stat fields")
    }
    return utime + stime
}

/// Clock ticks per second (normally 100).
public var clockTicksPerSecond: Int { sysconf(Int32(_SC_CLK_TCK)) }

/// CPU ticks `pid` uses over `seconds`. The sleep blocks the calling thread on purpose: an
/// awaited sleep resumes only when a thread of the cooperative pool is free, and under the
/// full suite (two threads here, held by tests on blocking sockets) that can take a minute.
public func cpuTicks(pid: pid_t, over seconds: Double) throws -> Int {
    let before = try cpuTicks(pid: pid)
    usleep(UInt32(seconds * 1_000_000))
    return try cpuTicks(pid: pid) - before
}
