import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus s: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
        self = s & 0x7f == 0 ? .exited((s >> 8) & 0xff) : .signaled(s & 0x7f)
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

public enum ZKGateProcessError: Error, CustomStringConvertible {
    case binaryNotFound(tried: [String])
    case spawnFailed(Int32)
    case didNotStart(String)

    public var description: String {
        switch self {
        case .binaryNotFound(let tried):
            "zkgate binary not found; build with `swift build --build-tests` (EndToEndTests depends on the "
                + "zkgate target) or set ZKGATE_BINARY. Tried: \(tried.joined(separator: ", "))"
        case .spawnFailed(let e): "posix_spawn failed: \(String(cString: strerror(e)))"
        case .didNotStart(let why): "zkgate did not start: \(why)"
        }
    }
}

/// The real `zkgate` binary running as a child process on a free loopback port.
///
/// Spawned with posix_spawn (not Foundation.Process) so this helper alone reaps it, by pid,
/// and can report its exact exit status. `stop()` (also run on deinit) sends SIGTERM, then
/// SIGKILL after a grace period, so no test leaves a server behind even when it fails.
public final class ZKGateProcess: Sendable {
    public let pid: pid_t
    public let port: UInt16
    public let arguments: [String]
    /// Standard output: the access log.
    public let stdout: OutputCapture
    /// Standard error: the server's own log.
    public let stderr: OutputCapture
    private let status = Mutex<ExitStatus?>(nil)

    /// The data folder this helper made (and removes on deinit), when the test named none.
    public let ownDataDirectory: String?

    /// Starts `zkgate serve`-equivalent with `arguments`, adding `--listen 127.0.0.1:0` unless
    /// the arguments name a listen address, and a fresh temporary `--data-dir` unless they
    /// name one (the store locks its folder, so parallel servers each need their own), and
    /// waits for its `listening` log line.
    ///
    /// - Parameter wrapper: a command that runs zkgate (its arguments appended), such as
    ///   `setpriv --reuid=65534 ...` to run it as another user; its temporary data folder is
    ///   then open to everyone.
    public init(_ arguments: [String] = [], startupTimeout: Double = 15, wrapper: [String] = []) throws {
        var args = arguments
        if !args.contains("--listen") { args = ["--listen", "127.0.0.1:0"] + args }
        // The tls step of scripts/test.sh: every gateway on the tests' ensemble goes through TLS.
        if let connect = EnsembleScript.connectString, let i = args.firstIndex(of: "--zookeeper"), i + 1 < args.count,
            args[i + 1].hasPrefix(connect.split(separator: "/").first.map(String.init) ?? connect),
            !args.contains("--zookeeper-tls-ca")
        {
            args += EnsembleTLS.zkgateArguments
        }
        var made: String?
        if !args.contains("--data-dir") {
            var template = Array("/tmp/zkgate-test-XXXXXX".utf8CString)
            guard let path = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw ZKGateProcessError.didNotStart("cannot make a temporary data folder")
            }
            made = String(cString: path)
            if !wrapper.isEmpty { chmod(path, 0o777) }
            args += ["--data-dir", made!]
        }
        ownDataDirectory = made
        self.arguments = args
        let binary = try Self.binaryPath()

        let child = wrapper.isEmpty ? try spawnChild(binary, args) : try spawnChild(wrapper[0], Array(wrapper.dropFirst()) + [binary] + args)
        let out = OutputCapture(fd: child.stdout, name: "zkgate-\(child.pid)-stdout")
        let err = OutputCapture(fd: child.stderr, name: "zkgate-\(child.pid)-stderr")

        let startup = Mutex<ExitStatus?>(nil)
        var parsedPort: UInt16?
        let deadline = Deadline(secondsFromNow: startupTimeout)
        while parsedPort == nil && !deadline.hasPassed {
            parsedPort = Self.listeningPort(in: err.text)
            if parsedPort == nil {
                if Self.reap(child.pid, block: false, into: startup) != nil { break }
                sleepSeconds(0.005)
            }
        }
        guard let parsedPort else {
            // No deinit runs for a failed init, so stop the child here.
            let ended = Self.terminate(child.pid, grace: 1, status: startup)
            if let made { Self.removeTree(made) }
            _ = err.wait(timeout: 1) { _ in err.isFinished }
            throw ZKGateProcessError.didNotStart(
                "\(ended.map { "\($0)" } ?? "?") after no `listening` line in \(startupTimeout) s; stderr: \(err.text)")
        }
        pid = child.pid
        port = parsedPort
        stdout = out
        stderr = err
    }

    deinit {
        Self.terminate(pid, grace: 2, status: status)
        if let ownDataDirectory { Self.removeTree(ownDataDirectory) }
    }

    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Parses the port from `... address=127.0.0.1:PORT ... listening`, or the TLS port from
    /// `tlsAddress=` when the server has no plain listener (`address=none`).
    static func listeningPort(in log: String) -> UInt16? {
        for line in log.split(separator: "\n") where line.contains("listening") {
            for key in [" address=", " tlsAddress="] {
                guard let range = line.range(of: key) else { continue }
                let address = line[range.upperBound...].prefix { !$0.isWhitespace }
                guard let colon = address.lastIndex(of: ":") else { continue }
                return UInt16(address[address.index(after: colon)...])
            }
        }
        return nil
    }

    // MARK: Signals and exit

    /// Sends a signal to the server.
    public func signal(_ signal: Int32) { _ = kill(pid, signal) }

    /// The exit status if the process has ended (reaps it if needed).
    public var exitStatus: ExitStatus? {
        if let known = status.withLock({ $0 }) { return known }
        return Self.reap(pid, block: false, into: status)
    }

    /// Waits up to `timeout` for the process to end; nil if it is still running.
    public func waitForExit(timeout: Double) -> ExitStatus? {
        var result: ExitStatus?
        _ = eventually(timeout: timeout, every: 0.005) {
            result = exitStatus
            return result != nil
        }
        return result
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns how it ended. Idempotent.
    @discardableResult
    public func stop(grace: Double = 2) -> ExitStatus? {
        Self.terminate(pid, grace: grace, status: status)
    }

    @discardableResult
    private static func terminate(_ pid: pid_t, grace: Double, status: borrowing Mutex<ExitStatus?>) -> ExitStatus? {
        if let known = status.withLock({ $0 }) { return known }
        if let ended = reap(pid, block: false, into: status) { return ended }
        kill(pid, SIGTERM)
        var ended: ExitStatus?
        _ = eventually(timeout: grace, every: 0.005) {
            ended = reap(pid, block: false, into: status)
            return ended != nil
        }
        if let ended { return ended }
        kill(pid, SIGKILL)
        return reap(pid, block: true, into: status)
    }

    /// waitpid on this pid only (never -1: other tests' children are not ours to reap).
    private static func reap(_ pid: pid_t, block: Bool, into status: borrowing Mutex<ExitStatus?>) -> ExitStatus? {
        status.withLock { known in
            if let known { return known }
            known = reapChild(pid, block: block)
            return known
        }
    }

    // MARK: Finding the binary

    /// The `zkgate` executable built beside the test bundle. The EndToEndTests target depends
    /// on it, so `swift build --build-tests` (with any --scratch-path) puts both in one folder.
    public static func binaryPath(filePath: String = #filePath) throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["ZKGATE_BINARY"] { candidates.append(explicit) }
        var dirs: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dirs.append((exe as NSString).deletingLastPathComponent)
        }
        if let first = CommandLine.arguments.first {
            let absolute = first.hasPrefix("/") ? first : FileManager.default.currentDirectoryPath + "/" + first
            dirs.append((absolute as NSString).deletingLastPathComponent)
        }
        // On platforms where the tests are a bundle directory, the binary is its sibling.
        dirs.append((Bundle.main.bundlePath as NSString).deletingLastPathComponent)
        dirs.append(Bundle.main.bundlePath)
        candidates += dirs.map { $0 + "/zkgate" }
        // Last resort: the package's default scratch folder, found from this source file.
        var dir = (filePath as NSString).deletingLastPathComponent
        while dir != "/" && !dir.isEmpty {
            if FileManager.default.fileExists(atPath: dir + "/Package.swift") {
                candidates.append(dir + "/.build/debug/zkgate")
                break
            }
            dir = (dir as NSString).deletingLastPathComponent
        }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        throw ZKGateProcessError.binaryNotFound(tried: candidates)
    }
}
