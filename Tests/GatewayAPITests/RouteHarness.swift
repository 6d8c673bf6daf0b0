import Authorization
import Coordination
import EmbeddedBackend
import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Logging
import Reactor
import Recipes
import TestSupport
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

    /// The bearer token of the operator that `policy` documents must grant `admin` on `/**`
    /// (`RouteHarness.operatorGrant`): the harness cleans up with it.
    static let operatorToken = "operator-token-0123456789"
    /// Headers of the operator's requests; none without a policy.
    let operatorHeaders: HTTPHeaders

    /// - Parameter policy: an access policy document, made from this harness's folder; nil
    ///   for an open gateway.
    init(
        _ kind: Backend = .embedded, options: Gateway.Options = Gateway.Options(),
        policy: (@Sendable (_ base: String) -> String)? = nil, audit: AuditLog? = nil
    ) async throws {
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
                configuration: .init(connectString: connect, sessionTimeoutMs: 10_000, tls: EnsembleTLS.context,
                                     acls: EnsembleTLS.context == nil ? .open : .creatorOwned), logger: Self.logger)
            backend = store
            close = { store.shutdown() }
        }
        base = "/route-tests-\(unique)"
        var options = options
        options.roots = RecipeRootsForTests.under(base)
        var access: AccessControl?
        if let policy { access = try AccessControl(policy: try Policy(json: Array(policy(base).utf8))) }
        operatorHeaders = policy == nil ? [:] : ["Authorization": "Bearer \(Self.operatorToken)"]
        gateway = Gateway(backend: backend, options: options, stats: HTTPServerStats(), access: access, audit: audit)
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
        _ = await request(.delete, "/v1/nodes\(base)?recursive=true", headers: operatorHeaders)
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

// MARK: Helpers of the route tests that translate the end-to-end node, session and error tests

extension RouteHarness {
    /// `/v1/nodes` and `path` inside this harness's folder (`path` may carry a query).
    func nodes(_ path: String) -> String { "/v1/nodes" + base + path }

    /// Creates this harness's folder, for tests that write directly below it.
    func makeBase() async {
        let made = await request(.put, "/v1/nodes" + base)
        #expect(made.status.code == 201, "\(made.text)")
    }

    /// A request with a body as given, and no Content-Type unless `headers` has one.
    func request(_ method: HTTPMethod, _ target: String, body: [UInt8], headers: HTTPHeaders = [:]) async -> HTTPResponse {
        let head = HTTPRequestHead(method: method, target: target, headers: headers)
        guard let response = await connection().response(head, body: body, to: router) else {
            Issue.record("\(method) \(target) started a stream")
            return HTTPResponse(status: .internalServerError)
        }
        return response
    }

    /// A request with `object` as its JSON body.
    func request(_ method: HTTPMethod, _ target: String, object: Any, headers: HTTPHeaders = [:]) async -> HTTPResponse {
        var headers = headers
        headers.add(name: "Content-Type", value: "application/json")
        return await request(method, target, body: jsonBytes(object), headers: headers)
    }

    /// POST /v1/sessions; the new session's id.
    func openSession(ttl: Int? = nil) async throws -> String {
        let response = ttl == nil
            ? await request(.post, "/v1/sessions")
            : await request(.post, "/v1/sessions", object: ["ttl": ttl!])
        #expect(response.status.code == 201, "\(response.text)")
        return try #require(response.json["id"] as? String)
    }

    /// Every node under `path` (this harness's folder by default), each mapped to its
    /// GET ?children=true body: data, full stat and children. Equal snapshots mean nothing changed.
    func treeSnapshot(_ path: String? = nil) async -> [String: String] {
        var result: [String: String] = [:]
        var stack = [path ?? base]
        while let next = stack.popLast() {
            let response = await request(.get, "/v1/nodes" + (next == "/" ? "/" : next) + "?children=true")
            guard response.status.code == 200 else {
                result[next] = "\(response.status.code)"
                continue
            }
            result[next] = response.text
            for child in response.children ?? [] { stack.append(next == "/" ? "/" + child : next + "/" + child) }
        }
        return result
    }
}

extension HTTPResponse {
    var stat: [String: Any] { json["stat"] as? [String: Any] ?? [:] }
    func statInt(_ name: String) -> Int? { intValue(stat[name]) }
    var dataText: String? { json["data"] as? String }
    var encoding: String? { json["encoding"] as? String }
    var children: [String]? { json["children"] as? [String] }
    var nodePath: String? { json["path"] as? String }
    /// `field` of an invalid-parameter problem.
    var field: String? { json["field"] as? String }
    var problemType: String? { json["type"] as? String }
    var zkIndex: Int? { headers["Zkgate-Index"].flatMap { Int($0) } }
    var etag: String? { headers["ETag"] }

    /// The node data of a JSON node answer, decoded by its `encoding`.
    var nodeData: [UInt8]? {
        guard let text = dataText else { return nil }
        switch encoding {
        case "utf8": return Array(text.utf8)
        case "base64": return Data(base64Encoded: text).map { [UInt8]($0) }
        default: return nil
        }
    }
}

/// Checks an RFC 9457 problem answer: status, media type, `type` URI and the `status` member.
/// (Content-Length is the connection's, checked by the serializer's and the end-to-end tests.)
func expectProblem(_ response: HTTPResponse, status: Int, type slug: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status.code == status, "\(response.status.code) \(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers["Content-Type"] == "application/problem+json", sourceLocation: sourceLocation)
    #expect(response.problemType == "urn:zkgate:problem:\(slug)", "\(response.text)", sourceLocation: sourceLocation)
    #expect(intValue(response.json["status"]) == status, sourceLocation: sourceLocation)
}

/// Checks an invalid-parameter answer naming `field`.
func expectInvalidParameter(_ response: HTTPResponse, field: String, sourceLocation: SourceLocation = #_sourceLocation) {
    expectProblem(response, status: 400, type: "invalid-parameter", sourceLocation: sourceLocation)
    #expect(response.field == field, "\(response.text)", sourceLocation: sourceLocation)
}
