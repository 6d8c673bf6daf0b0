import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import ZooKeeperClient

/// The test ensemble: scripts/test.sh starts deploy/zk-ensemble.sh and exports its connect
/// string; without it these suites are skipped (run them through scripts/test.sh).
enum Ensemble {
    static let connectString = EnsembleScript.connectString
    static var available: Bool { connectString != nil }

    /// A connected client on the whole ensemble (or with a chroot appended).
    static func client(chroot: String = "", timeoutMs: Int32 = 10_000) async throws -> ZooKeeperClient {
        var config = try ZooKeeperClient.Configuration(connectString! + chroot, sessionTimeoutMs: timeoutMs)
        config.tls = EnsembleTLS.context
        let client = try ZooKeeperClient(configuration: config)
        try await client.waitUntilConnected(timeoutMs: 20_000)
        return client
    }

    /// A fresh path for one test, so tests can run in parallel on one ensemble.
    static func uniquePath(_ name: String) -> String {
        "/zkgate-test-\(name)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Deletes a subtree, children first; missing nodes are fine.
    static func deleteTree(_ client: ZooKeeperClient, _ path: String) async {
        guard let (children, _) = try? await client.getChildren(path) else { return }
        for child in children { await deleteTree(client, path == "/" ? "/\(child)" : "\(path)/\(child)") }
        try? await client.delete(path)
    }
}

extension ZooKeeperClient {
    /// The first event of the stream matching `predicate`, or nil after `timeoutMs`.
    static func firstEvent(_ stream: ClientEventStream, timeoutMs: UInt64 = 10_000,
                           where predicate: @escaping @Sendable (ClientEvent) -> Bool) async -> ClientEvent? {
        await withTaskGroup(of: ClientEvent?.self) { group in
            group.addTask {
                for await event in stream where predicate(event) { return event }
                return nil
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: timeoutMs * 1_000_000)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
