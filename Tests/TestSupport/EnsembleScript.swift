import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// deploy/zk-ensemble.sh, as scripts/test.sh exports it (ZKGATE_ZK_ENSEMBLE_SCRIPT), for tests
/// that kill and restart ensemble members.
public enum EnsembleScript {
    public static let path = ProcessInfo.processInfo.environment["ZKGATE_ZK_ENSEMBLE_SCRIPT"]
    public static let connectString = ProcessInfo.processInfo.environment["ZKGATE_TEST_ZOOKEEPER"]
    /// Whether this run may kill members (a step of its own in scripts/test.sh).
    public static let faultTestsEnabled = ProcessInfo.processInfo.environment["ZKGATE_FAULT_TESTS"] == "1"

    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        /// The end of what the command wrote to standard error (the script's reason, and the
        /// logs of a member that did not join).
        public var errors = ""
        public var description: String {
            "`\(command)` exited with status \(status)" + (errors.isEmpty ? "" : ":\n\(errors)")
        }
    }

    /// Runs the script (`kill 2`, `start-member 2`, `stop-member 3`, `leader`, `wait`) and
    /// returns its output. system() and a file, not Process and a pipe: a member started here
    /// inherits the descriptors, and Foundation's Process then never sees the script end. The
    /// script takes its ensemble's folder and ports from this process's environment
    /// (ZK_ENSEMBLE_DIR, ZK_BASE_PORT); before the first command it must name the ensemble the
    /// tests connect to, so that a test never kills the members of another one.
    @discardableResult
    public static func run(_ arguments: String...) throws -> String {
        if let mismatch = targetMismatch { throw mismatch }
        return try shell("bash '\(path!)' \(arguments.joined(separator: " "))")
    }

    /// Starts every member that is down and waits for a leader, ignoring failures: for a
    /// test's `defer`, so the suites after one that failed halfway find the ensemble whole.
    public static func restoreAllMembers() {
        _ = try? run("start")
        _ = try? run("wait")
    }

    /// Why the script does not drive the ensemble at ZKGATE_TEST_ZOOKEEPER, or nil when it does:
    /// its connect string (its ports, from ZK_BASE_PORT) must be the tests' one without chroot.
    static let targetMismatch: TargetMismatch? = {
        guard let path else { return TargetMismatch(description: "ZKGATE_ZK_ENSEMBLE_SCRIPT is not set") }
        let expected = (connectString ?? "").split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let named = (try? shell("bash '\(path)' connect-string")) ?? "(no answer)"
        guard named != expected else { return nil }
        return TargetMismatch(description: "\(path) drives the ensemble at \(named), but the tests connect to \(expected): "
            + "export the same ZK_BASE_PORT and ZK_ENSEMBLE_DIR the ensemble was started with")
    }()

    public struct TargetMismatch: Error, CustomStringConvertible {
        public var description: String
    }

    /// Each running member's JVM command line, by member number (a member that is down is
    /// absent), from the pids the script's `status` prints: to report how they were started.
    public static func memberCommandLines() throws -> [Int: [String]] {
        var lines: [Int: [String]] = [:]
        if let mismatch = targetMismatch { throw mismatch }
        let status = try shell("bash '\(path!)' status || true")   // exits 1 while a member is down
        for line in status.split(separator: "\n") where line.hasPrefix("member ") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4, let member = Int(fields[1].dropLast()), let pid = Int(fields[3]),
                let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { continue }
            lines[member] = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
        return lines
    }

    /// Runs a shell command and returns its standard output.
    @discardableResult
    public static func shell(_ command: String) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("zk-ensemble-\(UUID().uuidString).out")
        let errors = output.appendingPathExtension("err")
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        let full = "{ \(command); } >'\(output.path)' 2>'\(errors.path)' </dev/null"
        let status = system(full)
        guard status == 0 else {
            let text = (try? Data(contentsOf: errors)).map { String(decoding: $0.suffix(3000), as: UTF8.self) } ?? ""
            throw Failure(command: command, status: status, errors: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(decoding: try Data(contentsOf: output), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The member (1, 2, 3, in connect-string order) that process `pid` holds a connection
    /// to, from `ss`; nil when it holds none.
    public static func member(connectedFrom pid: pid_t) throws -> Int? {
        let ports = (connectString ?? "").split(separator: ",").compactMap { entry -> Int? in
            let hostPort = entry.split(separator: "/").first ?? entry
            return hostPort.split(separator: ":").last.flatMap { Int($0) }
        }
        // `ss -tnpH state established`: Recv-Q, Send-Q, local, peer, process.
        for line in try shell("ss -tnpH state established").split(separator: "\n") where line.contains("pid=\(pid),") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5, let port = fields[3].split(separator: ":").last.flatMap({ Int($0) }),
                fields[3].hasPrefix("127.0.0.1:"), let index = ports.firstIndex(of: port)
            else { continue }
            return index + 1
        }
        return nil
    }
}

/// An ensemble of the script's own beside the tests' one: a fresh folder, other ports and a
/// member count of its choosing (deploy/zk-ensemble.sh's ZK_ENSEMBLE_DIR, ZK_BASE_PORT and
/// ZK_MEMBERS), for a suite that needs five members or must not disturb the shared ensemble.
public final class PrivateEnsemble: Sendable {
    public let members: Int
    public let basePort: Int
    /// Whether the members serve TLS only (ZK_TLS=1), with the certificates in `tlsDirectory`.
    public let tls: Bool
    let folder: TemporaryDirectory

    /// Starts `members` members on client ports `basePort`...`basePort + members - 1` (quorum
    /// and election ports shifted alike, clear of the tests' ensemble at 2181 and the
    /// benchmarks' at 5181: see the script on choosing a shift) and waits until
    /// they elect a leader. Throws the script's reason when they do not.
    public init(members: Int, basePort: Int = 7181, tls: Bool = false) throws {
        self.members = members
        self.basePort = basePort
        self.tls = tls
        folder = try TemporaryDirectory(prefix: TemporaryDirectory.backgroundRoot == nil ? "zkgate-ensemble-\(members)" : "ensemble-\(members)",
                                        in: TemporaryDirectory.backgroundRoot)
        do {
            try run("start")
            try run("wait")
        } catch {
            destroy()
            throw error
        }
    }

    /// The variables that name this ensemble to the script (and to deploy/topology.sh).
    public var environment: String {
        "ZK_ENSEMBLE_DIR='\(folder.path)/zk' ZK_BASE_PORT=\(basePort) ZK_MEMBERS=\(members) ZK_TLS=\(tls ? 1 : 0)"
    }

    /// The TLS mode's certificates: ca.pem, client.pem, client-key.pem (CN=zkgate,O=zkgate).
    public var tlsDirectory: String { folder.path + "/zk/tls" }

    /// The member (1...members) that process `pid` holds a connection to, from `ss`.
    public func member(connectedFrom pid: Int32) throws -> Int? {
        for line in try EnsembleScript.shell("ss -tnpH state established").split(separator: "\n") where line.contains("pid=\(pid),") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[3].hasPrefix("127.0.0.1:"),
                let port = fields[3].split(separator: ":").last.flatMap({ Int($0) }), (basePort..<basePort + members).contains(port)
            else { continue }
            return port - basePort + 1
        }
        return nil
    }

    public var connectString: String {
        (0..<members).map { "127.0.0.1:\(basePort + $0)" }.joined(separator: ",")
    }

    /// Runs the script (`kill 1 4`, `start-member 2`, `leader`, `wait`) on this ensemble.
    @discardableResult
    public func run(_ arguments: String) throws -> String {
        guard let path = EnsembleScript.path else { throw EnsembleScript.TargetMismatch(description: "ZKGATE_ZK_ENSEMBLE_SCRIPT is not set") }
        return try EnsembleScript.shell("\(environment) bash '\(path)' \(arguments)")
    }

    /// Stops every member and deletes the data.
    public func destroy() {
        _ = try? run("reset")
    }
}
