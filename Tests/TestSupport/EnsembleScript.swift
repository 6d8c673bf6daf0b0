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
        public var description: String { "`\(command)` exited with status \(status)" }
    }

    /// Runs the script (`kill 2`, `start-member 2`, `stop-member 3`, `leader`, `wait`) and
    /// returns its output. system() and a file, not Process and a pipe: a member started here
    /// inherits the descriptors, and Foundation's Process then never sees the script end.
    @discardableResult
    public static func run(_ arguments: String...) throws -> String {
        try shell("bash '\(path!)' \(arguments.joined(separator: " "))")
    }

    /// Runs a shell command and returns its standard output.
    @discardableResult
    public static func shell(_ command: String) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("zk-ensemble-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let full = "\(command) >'\(output.path)' 2>/dev/null </dev/null"
        let status = system(full)
        guard status == 0 else { throw Failure(command: command, status: status) }
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
