import Coordination
import EmbeddedBackend
import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Logging
import Reactor
import Recipes
import Testing
import ZooKeeperBackend

/// A gateway over a real backend whose routes are called as a connection calls them, on a
/// real event loop, through `RequestRecorder`: no socket, no process. Parking, timers,
/// change batches and wake-ups are the real ones.
final class RouteHarness: Sendable {
    /// The backends route tests run against: the embedded store always, and the ZooKeeper
    /// ensemble when scripts/test.sh exported its connect string.
    enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case embedded
        case zookeeper

        var testDescription: String { rawValue }

        /// Those available here.
        static var available: [Backend] {
            ProcessInfo.processInfo.environment["ZKGATE_TEST_ZOOKEEPER"] == nil ? [.embedded] : [.embedded, .zookeeper]
        }
    }

    let gateway: Gateway
    let router: Router
    let group: EventLoopGroup
    let backend: any CoordinationBackend
    /// Where this harness's nodes live: a fresh folder per harness, so tests on a shared
    /// ensemble do not meet each other's nodes.
    let base: String
    private let close: @Sendable () -> Void

    static let logger = Logger(label: "zkgate.route-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    init(_ kind: Backend = .embedded, options: Gateway.Options = Gateway.Options()) async throws {
        group = try EventLoopGroup(count: 1, name: "route-test")
        let unique = UUID().uuidString.prefix(8).lowercased()
        switch kind {
        case .embedded:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zkgate-routes-\(unique)").path
            let store = try EmbeddedStore(configuration: .init(dataDirectory: folder), logger: Self.logger)
            backend = store
            close = {
                store.shutdown()
                try? FileManager.default.removeItem(atPath: folder)
            }
        case .zookeeper:
            let connect = ProcessInfo.processInfo.environment["ZKGATE_TEST_ZOOKEEPER"] ?? "127.0.0.1:2181"
            let store = try await ZooKeeperStore(
                configuration: .init(connectString: connect, sessionTimeoutMs: 10_000), logger: Self.logger)
            backend = store
            close = { store.shutdown() }
        }
        base = "/route-tests-\(unique)"
        var options = options
        options.roots = RecipeRootsForTests.under(base)
        gateway = Gateway(backend: backend, options: options, stats: HTTPServerStats())
        router = gateway.router()
    }

    /// A new connection.
    func connection() -> RequestRecorder { RequestRecorder(loop: group.loops[0]) }

    /// One request on a new connection, and its whole answer.
    func request(_ method: HTTPMethod, _ target: String, json: String? = nil, headers: HTTPHeaders = [:]) async -> HTTPResponse {
        var headers = headers
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        let head = HTTPRequestHead(method: method, target: target, headers: headers)
        guard let response = await connection().response(head, body: Array((json ?? "").utf8), to: router) else {
            Issue.record("\(method) \(target) started a stream")
            return HTTPResponse(status: .internalServerError)
        }
        return response
    }

    /// Deletes what the test made (on a shared ensemble), then stops the backend and the loop.
    func shutdown() async {
        _ = await request(.delete, "/v1/nodes\(base)?recursive=true")
        close()
        group.stop()
    }
}

/// Recipe roots inside a test's own folder.
enum RecipeRootsForTests {
    static func under(_ base: String) -> RecipeRoots {
        func path(_ name: String) -> ZNodePath {
            do { return try ZNodePath(validating: base + "/" + name) } catch { preconditionFailure("\(error)") }
        }
        return RecipeRoots(locks: path("locks"), elections: path("elections"), services: path("services"), config: path("config"))
    }
}

extension HTTPResponse {
    /// The body as text.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (Foundation's parser: an independent reader of our writer).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}
