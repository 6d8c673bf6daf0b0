import Foundation

/// A fresh folder under the system's temporary directory, removed (with everything in it) on
/// deinit or by `remove()`. Tests that start zkgate give it one as `--data-dir`, so no test
/// shares a data folder (and its lock) with another.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "zkgate-e2e") throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    deinit { remove() }

    /// Removes the folder now. Idempotent.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The path of an entry inside the folder.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Names of the entries in the folder, sorted.
    public func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}
