import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The StorageProbe executable running as a child process, with its output collected.
///
/// Spawned by TestSupport's `spawnChild`, with no inherited descriptors: a probe that inherited
/// a test's LOCK descriptor would hold that test's directory lock for its whole life.
final class ProbeProcess: Sendable {
    let pid: pid_t
    private let stdoutBytes = Mutex<[UInt8]>([])
    private let stderrBytes = Mutex<[UInt8]>([])
    private let finishedPipes = Atomic<Int>(0)
    private let status = Mutex<Int32?>(nil)

    init(_ arguments: [String]) throws {
        let child = try spawnChild(try Self.binaryPath(), arguments)
        pid = child.pid
        drain(child.stdout, isStdout: true, name: "probe-\(child.pid)-out")
        drain(child.stderr, isStdout: false, name: "probe-\(child.pid)-err")
    }

    deinit {
        if status.withLock({ $0 }) == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: 10)
        }
    }

    private func drain(_ fd: Int32, isStdout: Bool, name: String) {
        // Threads, not tasks: the reads block.
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if isStdout {
                        stdoutBytes.withLock { $0.append(contentsOf: chunk[0..<n]) }
                    } else {
                        stderrBytes.withLock { $0.append(contentsOf: chunk[0..<n]) }
                    }
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(fd)
            finishedPipes.add(1, ordering: .releasing)
        }
        thread.name = name
        thread.start()
    }

    /// Complete lines written to stdout so far.
    var stdoutLines: [String] {
        let text = stdoutBytes.withLock { String(decoding: $0, as: UTF8.self) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // after the last newline: empty, or a line still being written
        return lines
    }

    var stderrText: String { stderrBytes.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Waits until stdout's complete lines satisfy `condition`.
    func waitForStdout(timeout: Double, until condition: ([String]) -> Bool) -> Bool {
        eventually(timeout: timeout, every: 0.002) { condition(stdoutLines) }
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// The raw wait status once the process has ended (and both pipes are drained), or nil.
    func waitForExit(timeout: Double) -> Int32? {
        let ended = eventually(timeout: timeout, every: 0.002) {
            status.withLock { known in
                if known == nil {
                    var raw: Int32 = 0
                    if waitpid(pid, &raw, WNOHANG) == pid { known = raw }
                }
                return known != nil
            }
        }
        guard ended else { return nil }
        _ = eventually(timeout: 5, every: 0.002) { finishedPipes.load(ordering: .acquiring) == 2 }
        return status.withLock { $0 }
    }

    /// The signal that ended the process (WTERMSIG), or nil if it exited or still runs.
    static func terminatingSignal(_ raw: Int32?) -> Int32? {
        guard let raw, raw & 0x7F != 0 else { return nil }
        return raw & 0x7F
    }

    /// The exit code (WEXITSTATUS), or nil if it was killed or still runs.
    static func exitCode(_ raw: Int32?) -> Int32? {
        guard let raw, raw & 0x7F == 0 else { return nil }
        return (raw >> 8) & 0xFF
    }

    /// The StorageProbe built next to the test bundle (StorageTests depends on it, so any
    /// `--scratch-path` puts both in one folder), or $STORAGE_PROBE.
    static func binaryPath() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["STORAGE_PROBE"] { candidates.append(explicit) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((exe as NSString).deletingLastPathComponent + "/StorageProbe")
        }
        candidates.append((Bundle.main.bundlePath as NSString).deletingLastPathComponent + "/StorageProbe")
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw ProbeNotFound(tried: candidates)
    }
}

struct ProbeNotFound: Error, CustomStringConvertible {
    let tried: [String]
    var description: String {
        "StorageProbe not found; build with `swift build --build-tests` or set STORAGE_PROBE. Tried: "
            + tried.joined(separator: ", ")
    }
}
