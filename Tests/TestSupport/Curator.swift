import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Apache Curator 5.x, the reference Java client library for ZooKeeper's recipes (locks,
/// leader latches, service discovery), as a peer of zkgate's HTTP recipes: the two must
/// coordinate through the same znodes. Tests/Interop/curator/CuratorPeer.java is a
/// command-line peer (its header lists the commands and output lines); it is compiled once per
/// test process into `<repository>/.build-java/` and runs as one JVM per peer, from Debian's
/// packages (scripts/setup.sh installs them).
///
/// Peers are started with posix_spawn, their output goes to files that are polled, and they
/// are reaped by pid: a JVM holds ZooKeeper sockets and threads that can outlive a pipe's
/// reader, and Foundation's Process has hung on such children.
public enum Curator {
    public static let repositoryRoot: String = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir.path
    }()

    public static let sourcePath = repositoryRoot + "/Tests/Interop/curator/CuratorPeer.java"
    public static let java = "/usr/bin/java"
    public static let javac = "/usr/bin/javac"

    /// What CuratorPeer needs from /usr/share/java, named explicitly rather than left to the
    /// jars' manifests: Curator (client, framework, recipes, discovery), the ZooKeeper client
    /// and its wire format, Guava (Debian's Curator is not shaded), Jackson (discovery's JSON),
    /// and SLF4J with the no-op binding, so no log line can reach the peer's stdout protocol.
    /// ZooKeeper's client uses NIO, except over TLS (`tlsOptions`), which needs Netty.
    public static let jars: [String] = [
        "curator-client", "curator-framework", "curator-recipes", "curator-x-discovery",
        "zookeeper", "zookeeper-jute", "guava",
        "jackson-databind", "jackson-core", "jackson-annotations",
        "slf4j-api", "slf4j-nop",
        "netty-buffer", "netty-codec", "netty-common", "netty-handler", "netty-resolver", "netty-transport",
        "netty-transport-native-epoll", "netty-transport-native-unix-common",
    ].map { "/usr/share/java/\($0).jar" }

    /// JVM options for a peer that talks TLS to a secure client port (deploy/zk-ensemble.sh's
    /// TLS mode): Netty, the run's CA, and a client identity in one PEM file (key, then
    /// certificate), or none.
    public static func tlsOptions(ca: String, keyStore: String?) -> [String] {
        var options = [
            "-Dzookeeper.client.secure=true", "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
            "-Dzookeeper.ssl.trustStore.location=\(ca)", "-Dzookeeper.ssl.trustStore.type=PEM",
        ]
        if let keyStore { options += ["-Dzookeeper.ssl.keyStore.location=\(keyStore)", "-Dzookeeper.ssl.keyStore.type=PEM"] }
        return options
    }

    /// Small and quick to start: peers are short-lived and the test machine may have 2 cores.
    public static let jvmOptions = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m", "-XX:-UsePerfData"]

    /// The packages, a JDK and the peer's source are all present.
    public static var available: Bool {
        let files = FileManager.default
        return files.isExecutableFile(atPath: java) && files.isExecutableFile(atPath: javac)
            && files.fileExists(atPath: sourcePath) && jars.allSatisfy { files.fileExists(atPath: $0) }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var output: String
        public var description: String { output.isEmpty ? message : "\(message)\n--- peer output ---\n\(output)" }
    }

    // MARK: Compiling

    private static let compiled = Mutex<Result<String, Failure>?>(nil)

    /// The folder with CuratorPeer's classes. The first call in a test process compiles
    /// (unless a folder for this exact source and classpath exists already); others wait for
    /// it. Test processes running at once each compile into a folder of their own and rename
    /// it into place, so none sees a half-written one.
    public static func classesDirectory() throws -> String {
        try compiled.withLock { cached -> String in
            if let cached { return try cached.get() }
            let result: Result<String, Failure>
            do {
                result = .success(try compile())
            } catch let failure as Failure {
                result = .failure(failure)
            } catch {
                result = .failure(Failure(message: "compiling CuratorPeer: \(error)", output: ""))
            }
            cached = result
            return try result.get()
        }
    }

    /// The peer's classes and the jars, for `java -cp`.
    public static func classpath() throws -> String {
        ([try classesDirectory()] + jars).joined(separator: ":")
    }

    private static func compile() throws -> String {
        let files = FileManager.default
        guard let source = files.contents(atPath: sourcePath) else {
            throw Failure(message: "cannot read \(sourcePath)", output: "")
        }
        let jarPath = jars.joined(separator: ":")
        let key = fnv1a(Array(source) + [0] + Array(jarPath.utf8))
        let cache = repositoryRoot + "/.build-java"
        let target = cache + "/curator-peer-" + String(format: "%016llx", key)
        if files.fileExists(atPath: target + "/CuratorPeer.class") { return target }

        let work = cache + "/.tmp-curator-peer-\(getpid())-\(UUID().uuidString)"
        try files.createDirectory(atPath: work, withIntermediateDirectories: true)
        let log = work + ".log"
        defer {
            try? files.removeItem(atPath: work)
            try? files.removeItem(atPath: log)
        }
        let pid = try spawnToFiles(javac, ["-encoding", "UTF-8", "-nowarn", "-d", work, "-cp", jarPath, sourcePath],
                                   stdout: log, stderr: log)
        let status = waitOrKill(pid, timeout: 180)
        guard status == .exited(0) else {
            throw Failure(message: "javac \(sourcePath): \(status.map { "\($0)" } ?? "did not end")",
                          output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        // Another test process may have won the race; its classes are the same.
        if rename(work, target) != 0 && !files.fileExists(atPath: target + "/CuratorPeer.class") {
            throw Failure(message: "cannot move the classes to \(target): \(String(cString: strerror(errno)))", output: "")
        }
        return target
    }

    private static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    // MARK: Running peers

    /// Starts a peer in the background: `arguments` are CuratorPeer's options (if any), then
    /// the command and its arguments, e.g. `["mutex-hold", "/app/lock", "60000"]`. The peer
    /// also gets a stop file and this process's pid, so it ends in order on `stop()` and on
    /// its own if the test process dies. Returns once the peer printed `ready` (it is
    /// connected); throws if it did not within `readyTimeout`.
    public static func start(connectString: String, arguments: [String], readyTimeout: Double = 30, jvm: [String] = []) throws -> Peer {
        let peer = try Peer(connectString: connectString, arguments: arguments, jvm: jvm)
        _ = try peer.waitFor("ready", timeout: readyTimeout)
        return peer
    }

    /// Runs a one-shot command (`latch-leader`, `discovery-list`, `mutex-try`, ...) to its end
    /// and returns the lines it printed after `ready`. Throws when it exits with a non-zero
    /// status (its `error` line is in the failure) or outlives `timeout` (then it is killed).
    public static func run(connectString: String, arguments: [String], timeout: Double = 30, jvm: [String] = []) throws -> [String] {
        let peer = try Peer(connectString: connectString, arguments: arguments, jvm: jvm)
        guard let status = peer.waitForExit(timeout: timeout) else {
            let ended = peer.stop(timeout: 0)
            throw Failure(message: "CuratorPeer \(arguments.joined(separator: " ")) still ran after \(timeout) s; "
                            + "\(ended.map { "\($0)" } ?? "?")", output: peer.output)
        }
        guard status == .exited(0) else {
            throw Failure(message: "CuratorPeer \(arguments.joined(separator: " ")): \(status)", output: peer.output)
        }
        var lines = peer.lines
        if lines.first == "ready" { lines.removeFirst() }
        return lines
    }

    /// One CuratorPeer JVM. Its output is read from a file, line by line; `waitFor` moves a
    /// cursor through it, so successive waits see successive events. `stop()` (also run on
    /// deinit) never leaves the process behind.
    public final class Peer: Sendable {
        public let pid: pid_t
        /// The arguments after the connect string, as given to `start`.
        public let arguments: [String]
        private let directory: String
        private let stdoutPath: String
        private let stderrPath: String
        private let stopPath: String
        private let cursor = Mutex(0)
        private let status = Mutex<ExitStatus?>(nil)

        init(connectString: String, arguments: [String], jvm: [String] = []) throws {
            let classpath = try Curator.classpath()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("curator-peer-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            stdoutPath = directory + "/stdout"
            stderrPath = directory + "/stderr"
            stopPath = directory + "/stop"
            self.arguments = arguments
            let argv = Curator.jvmOptions + (jvm.isEmpty ? EnsembleTLS.curatorJVM : jvm) + ["-cp", classpath, "CuratorPeer", connectString,
                                             "--stop-file", stopPath, "--watch-pid", String(getpid())] + arguments
            do {
                // Java decodes its arguments in the locale's charset, and under the C locale
                // (usual for test runs) anything beyond ASCII in a payload or id would be "?".
                pid = try spawnToFiles(Curator.java, argv, stdout: stdoutPath, stderr: stderrPath,
                                       environment: ["LC_ALL": "C.UTF-8"])
            } catch {
                try? FileManager.default.removeItem(atPath: directory)
                throw error
            }
        }

        deinit {
            stop(timeout: 5)
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// Every complete line printed so far.
        public var lines: [String] {
            guard let data = FileManager.default.contents(atPath: stdoutPath) else { return [] }
            var parts = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            parts.removeLast()   // empty after a final newline, else a line still being written
            return parts.map(String.init)
        }

        /// What the JVM wrote to stderr (normally nothing: logging is off).
        public var stderr: String {
            FileManager.default.contents(atPath: stderrPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }

        /// stdout and stderr, for failure messages.
        public var output: String {
            let err = stderr
            return lines.joined(separator: "\n") + (err.isEmpty ? "" : "\n[stderr]\n" + err)
        }

        /// The next line, after those earlier waits returned, that starts with `prefix`
        /// (`"acquired"`, `"leader "`, ...). Throws when the peer ends without printing one
        /// or `timeout` passes.
        @discardableResult
        public func waitFor(_ prefix: String, timeout: Double = 20) throws -> String {
            try waitFor(timeout: timeout, "a line starting with \"\(prefix)\"") { $0.hasPrefix(prefix) }
        }

        /// The next line, after those earlier waits returned, that satisfies `matches`.
        @discardableResult
        public func waitFor(timeout: Double = 20, _ what: String = "a matching line",
                            _ matches: (String) -> Bool) throws -> String {
            let deadline = Deadline(secondsFromNow: timeout)
            while true {
                // Whether it had ended is read before the lines, so the last look sees all.
                let ended = exitStatus
                let all = lines
                let found: String? = cursor.withLock { start in
                    guard start < all.count, let index = all[start...].firstIndex(where: matches) else { return nil }
                    start = index + 1
                    return all[index]
                }
                if let found { return found }
                if let ended {
                    throw Failure(message: "CuratorPeer \(arguments.joined(separator: " ")) ended (\(ended)) without \(what)",
                                  output: output)
                }
                if deadline.hasPassed {
                    throw Failure(message: "no \(what) from CuratorPeer \(arguments.joined(separator: " ")) in \(timeout) s",
                                  output: output)
                }
                sleepSeconds(0.02)
            }
        }

        /// The latest line so far that starts with one of `prefixes` (e.g. a latch's current
        /// view: `last("leader ", "follower ")`), regardless of what `waitFor` consumed.
        public func last(_ prefixes: String...) -> String? {
            lines.last { line in prefixes.contains { line.hasPrefix($0) } }
        }

        /// How it ended, once it has (reaps it if needed); nil while it runs.
        public var exitStatus: ExitStatus? {
            status.withLock { known in
                if let known { return known }
                known = reapChild(pid, block: false)
                return known
            }
        }

        /// Waits up to `timeout` for the peer to end on its own; nil if it still runs.
        public func waitForExit(timeout: Double) -> ExitStatus? {
            var ended: ExitStatus?
            _ = eventually(timeout: timeout, every: 0.02) {
                ended = exitStatus
                return ended != nil
            }
            return ended
        }

        /// Asks the peer to finish in order (release, close the latch, unregister: its
        /// session closes and its ephemerals go at once), waits up to `timeout`, then
        /// SIGKILLs it. Idempotent.
        @discardableResult
        public func stop(timeout: Double = 15) -> ExitStatus? {
            if let ended = exitStatus { return ended }
            _ = FileManager.default.createFile(atPath: stopPath, contents: nil)
            if let ended = waitForExit(timeout: timeout) { return ended }
            return kill()
        }

        /// SIGKILL, like a crash: nothing is released or closed, so its ephemerals stay until
        /// the ensemble expires its session (about 10 s).
        @discardableResult
        public func kill() -> ExitStatus? {
            status.withLock { known in
                if let known { return known }
                _ = Glibc.kill(pid, SIGKILL)
                known = reapChild(pid, block: true)
                return known
            }
        }
    }
}

/// Waits for `pid` to end; SIGKILLs it after `timeout`. nil only if it was not our child.
private func waitOrKill(_ pid: pid_t, timeout: Double) -> ExitStatus? {
    var ended: ExitStatus?
    if eventually(timeout: timeout, every: 0.02, { ended = reapChild(pid, block: false); return ended != nil }) {
        return ended
    }
    kill(pid, SIGKILL)
    return reapChild(pid, block: true)
}
