import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a finished command printed and how it ended.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: String
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a command (e.g. `/usr/bin/curl`) to completion, killing it if it outlives `timeout`,
/// so an independent client can check the server's wire format. Spawned like the server
/// (no inherited descriptors, reaped by pid) rather than with Foundation.Process, so parallel
/// tests cannot hold each other's pipes or sockets open.
public func runCommand(_ executable: String, _ arguments: [String], timeout: Double = 20) throws -> CommandResult {
    let child = try spawnChild(executable, arguments)
    // Drain both pipes while it runs, so a large output cannot block the child.
    let out = OutputCapture(fd: child.stdout, name: "cmd-\(child.pid)-stdout")
    let err = OutputCapture(fd: child.stderr, name: "cmd-\(child.pid)-stderr")
    var status: ExitStatus?
    if !eventually(timeout: timeout, every: 0.005, { status = reapChild(child.pid, block: false); return status != nil }) {
        kill(child.pid, SIGKILL)
        status = reapChild(child.pid, block: true)
    }
    _ = eventually(timeout: 5) { out.isFinished && err.isFinished }
    let code: Int32 = switch status {
    case .exited(let c)?: c
    case .signaled(let s)?: 128 + s
    case nil: -1
    }
    return CommandResult(status: code, stdout: out.bytesSnapshot, stderr: err.text)
}

/// `/usr/bin/curl`, or nil when it is not installed.
public var curlPath: String? {
    ["/usr/bin/curl", "/usr/local/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }
}
