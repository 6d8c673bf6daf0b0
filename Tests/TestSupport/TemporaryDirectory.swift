import Foundation
import Synchronization

/// A fresh folder under the system's temporary directory, removed (with everything in it) on
/// deinit or by `remove()`, and at the latest when the test process exits: a folder held by a
/// static (test certificates and their private keys) is never deinitialised. Tests that start
/// zkgate give it one as `--data-dir`, so no test shares a data folder (and its lock) with
/// another.
public final class TemporaryDirectory: Sendable {
    public let path: String

    /// scripts/test.sh's folder for the process groups a test starts in the background
    /// (private ensembles, topologies): it stops whatever is left there by pid when the run
    /// ends, so a test process that dies never leaves them running.
    public static let backgroundRoot = ProcessInfo.processInfo.environment["ZKGATE_TEST_BACKGROUND_DIR"]

    /// A folder in `parent` when given, else in the system's temporary directory.
    public init(prefix: String = "zkgate-e2e", in parent: String? = nil) throws {
        let base = parent.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        let url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
        Self.leftovers.withLock { folders in
            if folders.isEmpty && !Self.exitHookInstalled.exchange(true, ordering: .relaxed) {
                atexit {
                    let folders = TemporaryDirectory.leftovers.withLock { $0 }
                    for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
                }
            }
            folders.insert(url.path)
        }
    }

    private static let leftovers = Mutex<Set<String>>([])
    private static let exitHookInstalled = Atomic<Bool>(false)

    deinit { remove() }

    /// Removes the folder now. Idempotent.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
        _ = Self.leftovers.withLock { $0.remove(path) }
    }

    /// The path of an entry inside the folder.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Names of the entries in the folder, sorted.
    public func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}
