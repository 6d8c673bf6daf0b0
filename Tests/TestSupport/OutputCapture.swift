import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Collects everything a child process writes to one pipe, on a thread of its own, so the
/// child never blocks on a full pipe and tests can wait for a line to appear.
public final class OutputCapture: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    private let finished = Mutex(false)

    /// Starts draining `fd` (the pipe's read end, which this capture then owns and closes).
    init(fd: Int32, name: String) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    bytes.withLock { $0.append(contentsOf: chunk[0..<n]) }
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            Glibc.close(fd)
            finished.withLock { $0 = true }
        }
        thread.name = name
        thread.start()
    }

    public var bytesSnapshot: [UInt8] { bytes.withLock { $0 } }
    public var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
    public var lines: [String] { text.split(separator: "\n").map(String.init) }
    /// True once the writer side is closed (the child exited) and everything is read.
    public var isFinished: Bool { finished.withLock { $0 } }

    /// Waits until the captured text satisfies `condition`; returns whether it did.
    public func wait(timeout: Double, until condition: (String) -> Bool) -> Bool {
        eventually(timeout: timeout, every: 0.005) { condition(text) }
    }
}
