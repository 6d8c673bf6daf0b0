import Coordination
import EmbeddedBackend
import ZooKeeperBackend
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

// The backends the conformance suite runs against. Every test in this target is written only
// against `CoordinationBackend` and is parameterized over `ConformanceBackends.all`, so adding a
// factory here (for example one that connects to a ZooKeeper ensemble) reruns the whole suite
// against it unchanged. What differs between backends and cannot be hidden behind the protocol
// (accepted session timeouts, how fast the server sweeps containers, whether the test can restart
// it) is declared in `BackendCapabilities`, never tested by backend name.

/// What a backend can do, or how fast, where ZooKeeper leaves it to configuration.
struct BackendCapabilities: Sendable {
    /// The session timeouts `openSession` accepts; outside them it throws `.badArguments`.
    var sessionTimeouts: ClosedRange<Int64>
    /// Seconds past a session's timeout within which the server has expired it and deleted its
    /// ephemerals (ZooKeeper: up to a tick; the embedded store: one sweep interval).
    var expiryGraceSeconds: Double
    /// Whether TTL modes are served; when not, creating one throws `.unimplemented` (a ZooKeeper
    /// ensemble without `zookeeper.extendedTypesEnabled`).
    var supportsTTL: Bool
    /// Seconds within which the server deletes a used, empty container or an expired TTL node, or
    /// nil when that is too slow to wait for in a test (ZooKeeper's `ContainerManager` runs every
    /// 60 s by default). The container and TTL tests of the create modes fail on nil rather than
    /// skip the sweep, so every backend of `all` must declare it (deploy/zk-ensemble.sh sets
    /// ZooKeeper's sweep to every second); only the recipe tests are filtered on it.
    var cleanupWithinSeconds: Double?
    /// Whether `BackendInstance.restart()` works: the backend can be shut down and reopened on
    /// the same durable state (the embedded store and its data folder).
    var survivesRestart: Bool
    /// Whether every instance starts from an empty tree that tear-down discards, so tests need
    /// not delete what they made. When false (a shared ensemble) the harness deletes each test's
    /// base path afterwards.
    var discardsStateOnTearDown: Bool
}

/// Makes a fresh backend for one test and tears it down afterwards.
protocol BackendFactory: Sendable, CustomTestStringConvertible {
    var name: String { get }
    var capabilities: BackendCapabilities { get }
    /// Starts a backend with `changeSink` installed before it serves anything.
    func start(changeSink: @escaping @Sendable (ChangeBatch) -> Void) async throws -> any BackendInstance
}

extension BackendFactory {
    var testDescription: String { name }
}

/// One running backend, owned by one test.
protocol BackendInstance: AnyObject, Sendable {
    /// The backend now serving (a new object after `restart()`).
    var backend: any CoordinationBackend { get }
    /// The backend if it is open, without waiting (for checks made inside the change sink).
    var backendIfOpen: (any CoordinationBackend)? { get }
    /// Shuts the backend down and opens it again on the same durable state, with the same change
    /// sink. Only when `capabilities.survivesRestart`.
    func restart() throws
    /// Shuts the backend down and discards what it stored, if `discardsStateOnTearDown`.
    func tearDown()
}

enum ConformanceBackends {
    /// Every backend the suite runs against.
    static let all: [any BackendFactory] = [
        EmbeddedBackendFactory(name: "embedded")
    ] + ZooKeeperBackendFactory.fromEnvironment

    /// The backends the durability tests restart: those of `all` that survive a restart.
    static let restartable: [any BackendFactory] = all.filter(\.capabilities.survivesRestart)

    /// An embedded store that snapshots every few records, so that recovery from a snapshot plus
    /// the log after it is exercised too (the default snapshots only every 20,000 records).
    static let snapshotting: [any BackendFactory] = [
        EmbeddedBackendFactory(name: "embedded (snapshot every 3 records)", snapshotEvery: 3)
    ]
}

/// The embedded store in a fresh temporary data folder, removed on tear-down.
struct EmbeddedBackendFactory: BackendFactory {
    var name: String
    var snapshotEvery: Int = 20_000

    var capabilities: BackendCapabilities {
        BackendCapabilities(
            sessionTimeouts: EmbeddedStore.sessionTimeouts,
            expiryGraceSeconds: 2,
            supportsTTL: true,
            cleanupWithinSeconds: 3,
            survivesRestart: true,
            discardsStateOnTearDown: true)
    }

    func start(changeSink: @escaping @Sendable (ChangeBatch) -> Void) async throws -> any BackendInstance {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("zkgate-conformance-\(UUID().uuidString)").path
        return try EmbeddedBackendInstance(
            configuration: EmbeddedStore.Configuration(dataDirectory: folder, snapshotEvery: snapshotEvery),
            changeSink: changeSink)
    }
}

final class EmbeddedBackendInstance: BackendInstance {
    let configuration: EmbeddedStore.Configuration
    let changeSink: @Sendable (ChangeBatch) -> Void
    private let current: Mutex<EmbeddedStore?>

    static let logger = Logger(label: "zkgate.conformance", factory: { _ in SwiftLogNoOpLogHandler() })

    init(configuration: EmbeddedStore.Configuration, changeSink: @escaping @Sendable (ChangeBatch) -> Void) throws {
        self.configuration = configuration
        self.changeSink = changeSink
        current = Mutex(nil)
        do {
            try open()
        } catch {
            try? FileManager.default.removeItem(atPath: configuration.dataDirectory)
            throw error
        }
    }

    private func open() throws {
        let store = try EmbeddedStore(configuration: configuration, logger: Self.logger)
        store.setChangeSink(changeSink)
        current.withLock { $0 = store }
    }

    var backend: any CoordinationBackend {
        guard let store = current.withLock({ $0 }) else { preconditionFailure("the embedded store is shut down") }
        return store
    }

    var backendIfOpen: (any CoordinationBackend)? { current.withLock { $0 } }

    /// Shuts down outside the lock: shutting down flushes the log, whose completions publish
    /// change batches, and the sink reads `backendIfOpen`.
    private func close() {
        let store = current.withLock { store -> EmbeddedStore? in
            defer { store = nil }
            return store
        }
        store?.shutdown()
    }

    func restart() throws {
        close()
        try open()
    }

    func tearDown() {
        close()
        try? FileManager.default.removeItem(atPath: configuration.dataDirectory)
    }
}

/// The 3-node ensemble of deploy/zk-ensemble.sh, when scripts/test.sh exported its connect
/// string. Each test gets a store of its own (its own ZooKeeper session) on the shared
/// ensemble, so the harness deletes each test's base path afterwards.
struct ZooKeeperBackendFactory: BackendFactory {
    var name: String
    var connectString: String

    static var fromEnvironment: [any BackendFactory] {
        guard let connect = ProcessInfo.processInfo.environment["ZKGATE_TEST_ZOOKEEPER"] else { return [] }
        return [ZooKeeperBackendFactory(name: "zookeeper", connectString: connect)]
    }

    var capabilities: BackendCapabilities {
        BackendCapabilities(
            sessionTimeouts: ZooKeeperStore.sessionTimeouts,
            expiryGraceSeconds: 2,
            supportsTTL: true,
            // deploy/zk-ensemble.sh runs the container manager every second.
            cleanupWithinSeconds: 5,
            survivesRestart: false,
            discardsStateOnTearDown: false)
    }

    func start(changeSink: @escaping @Sendable (ChangeBatch) -> Void) async throws -> any BackendInstance {
        let store = try await ZooKeeperStore(
            configuration: .init(connectString: connectString, sessionTimeoutMs: 10_000, tls: EnsembleTLS.context,
                                 acls: EnsembleTLS.context == nil ? .open : .creatorOwned),
            logger: EmbeddedBackendInstance.logger)
        store.setChangeSink(changeSink)
        return ZooKeeperBackendInstance(store: store)
    }
}

final class ZooKeeperBackendInstance: BackendInstance {
    let store: ZooKeeperStore
    init(store: ZooKeeperStore) { self.store = store }
    var backend: any CoordinationBackend { store }
    var backendIfOpen: (any CoordinationBackend)? { store }
    func restart() throws { preconditionFailure("a shared ensemble is not restarted by a test") }
    func tearDown() { store.shutdown() }
}
