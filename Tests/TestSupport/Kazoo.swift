import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// kazoo, the Python ZooKeeper client, from the project's virtualenv (.build-py, installed by
/// scripts/setup.sh): another implementation of the protocol, for cross-checks.
public enum Kazoo {
    public static let python: String = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent(".build-py/bin/python").path
    }()

    public static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }

    public struct Failure: Error, CustomStringConvertible {
        public var output: String
        public var status: Int32
        public var description: String { "kazoo exited with status \(status): \(output)" }
    }

    /// Runs `body` (Python, at column 0) with `zk` (a started KazooClient on `connectString`),
    /// `root` and `json` bound, and returns what it printed. Output goes through a file and
    /// the script runs under system(), so no descriptor of the test process is waited on.
    /// `options` are more KazooClient arguments, Python source starting with a comma
    /// (`, use_ssl=True, ca="..."`).
    public static func run(connectString: String, _ body: String, root: String, options: String = "") throws -> String {
        let script = """
            import json, sys
            from kazoo.client import KazooClient
            zk = KazooClient(hosts=sys.argv[1]\(options.isEmpty ? EnsembleTLS.kazooOptions : options)); zk.start(timeout=20)
            root = sys.argv[2]
            \(body)
            zk.stop(); zk.close()
            """
        let dir = FileManager.default.temporaryDirectory
        let file = dir.appendingPathComponent("kazoo-\(UUID().uuidString).py")
        let output = dir.appendingPathComponent("kazoo-\(UUID().uuidString).out")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: output)
        }
        // Standard error apart: kazoo logs there (a member down: "Connection dropped"), and
        // the answer is what the script printed.
        let errors = output.appendingPathExtension("err")
        defer { try? FileManager.default.removeItem(at: errors) }
        let status = system("'\(python)' '\(file.path)' '\(connectString)' '\(root)' >'\(output.path)' 2>'\(errors.path)' </dev/null")
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(output: text + ((try? String(contentsOf: errors, encoding: .utf8)) ?? ""), status: status)
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
