import SystemCalls

/// Runs a blocking system call on `path` through the shared wrapper (EINTR retried), turning a
/// failure into `StorageError.io` that names the call and the path.
@inline(__always)
@discardableResult
func syscallOn<T: FixedWidthInteger>(_ path: String, _ call: StaticString, _ body: () -> T) throws(StorageError) -> T {
    do {
        return try syscallBlocking(call, body)
    } catch {
        throw StorageError.io(call: "\(call)", path: path, errno: error.code)
    }
}
