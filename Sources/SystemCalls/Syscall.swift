// The one wrapper for system calls, shared by the event loops (Reactor) and the durable
// store (Storage).
#if canImport(Glibc)
import Glibc
#endif

/// An errno-carrying failure of a system call.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The errno value.
    public let code: Int32
    /// The call that failed, for logs.
    public let call: String

    public init(code: Int32, call: String) {
        self.code = code
        self.call = call
    }

    public var description: String {
        "\(call): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// What a non-blocking call did: finished with a value, or would have blocked.
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// The one wrapper for system calls that return -1 with errno: retries EINTR, reports
/// EAGAIN/EWOULDBLOCK as `.wouldBlock`, and throws everything else.
///
/// - Throws: `SystemError` for any errno other than EINTR, EAGAIN and EWOULDBLOCK.
@inlinable @inline(__always)
public func syscall<T: FixedWidthInteger>(
    _ call: StaticString, _ body: () -> T
) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let err = errno
        switch err {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw SystemError(code: err, call: "\(call)")
        }
    }
}

/// As `syscall`, for calls where blocking is not an outcome (setup calls on blocking objects).
///
/// - Throws: `SystemError` for any errno other than EINTR.
@inlinable @inline(__always)
@discardableResult
public func syscallBlocking<T: FixedWidthInteger>(
    _ call: StaticString, _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let err = errno
        if err == EINTR { continue }
        throw SystemError(code: err, call: "\(call)")
    }
}
