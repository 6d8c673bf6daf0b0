import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Shared helpers of the /v1 end-to-end suites (V1*Tests).

/// The real zkgate on a free loopback port with its own temporary `--data-dir`. Stopped by
/// pid on deinit (tests also `defer { server.stop() }`); the folder goes when the last owner
/// of `directory` does.
final class V1Server {
    let directory: TemporaryDirectory
    let arguments: [String]
    private(set) var process: ZKGateProcess

    init(_ arguments: [String] = [], directory: TemporaryDirectory? = nil) throws {
        let directory = try directory ?? TemporaryDirectory(prefix: "zkgate-v1")
        self.directory = directory
        self.arguments = arguments
        process = try ZKGateProcess(["--data-dir", directory.path] + arguments)
    }

    deinit { process.stop() }

    var port: UInt16 { process.port }
    var pid: pid_t { process.pid }
    var base: String { "http://127.0.0.1:\(port)" }

    func connect(timeout: Double = 10) throws -> RawHTTPClient { try RawHTTPClient(port: port, timeout: timeout) }

    /// SIGTERM, then SIGKILL after a grace period.
    @discardableResult
    func stop() -> TestSupport.ExitStatus? { process.stop() }

    /// SIGKILL, as a crash or the OOM killer would; returns how it ended.
    @discardableResult
    func kill9() -> TestSupport.ExitStatus? {
        process.signal(SIGKILL)
        return process.waitForExit(timeout: 10)
    }

    /// A new process on the same data folder (the previous one must have ended).
    func restart() throws {
        process = try ZKGateProcess(["--data-dir", directory.path] + arguments)
    }
}

// MARK: JSON

extension HTTPTestResponse {
    /// The body as a JSON object (empty when it is not one).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) as? [String: Any] ?? [:]
    }

    var stat: [String: Any] { object["stat"] as? [String: Any] ?? [:] }
    func statInt(_ name: String) -> Int? { intValue(stat[name]) }
    var dataText: String? { object["data"] as? String }
    var encoding: String? { object["encoding"] as? String }
    var children: [String]? { object["children"] as? [String] }
    var nodePath: String? { object["path"] as? String }
    /// `field` of an invalid-parameter problem.
    var field: String? { object["field"] as? String }
    var zkIndex: Int? { header("Zkgate-Index").flatMap { Int($0) } }
    var etag: String? { header("ETag") }

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

// MARK: Requests

extension RawHTTPClient {
    /// GET /v1/nodes`node` (`node` is the znode path, with any query).
    func get(_ node: String, headers: [(String, String)] = [], timeout: Double? = nil) throws -> HTTPTestResponse {
        try request("GET", "/v1/nodes" + node, headers: headers, timeout: timeout)
    }

    /// PUT with a JSON body.
    func put(_ node: String, json: Any, headers: [(String, String)] = []) throws -> HTTPTestResponse {
        try request("PUT", "/v1/nodes" + node, headers: [("Content-Type", "application/json")] + headers, body: jsonBytes(json))
    }

    /// PUT `{"data": text}`.
    func put(_ node: String, _ text: String, headers: [(String, String)] = []) throws -> HTTPTestResponse {
        try put(node, json: ["data": text], headers: headers)
    }

    /// PUT raw bytes as application/octet-stream.
    func putRaw(_ node: String, _ bytes: [UInt8], headers: [(String, String)] = []) throws -> HTTPTestResponse {
        try request("PUT", "/v1/nodes" + node, headers: [("Content-Type", "application/octet-stream")] + headers, body: bytes)
    }

    /// POST (create) with a JSON body.
    func post(_ node: String, json: Any = [String: Any](), headers: [(String, String)] = []) throws -> HTTPTestResponse {
        try request("POST", "/v1/nodes" + node, headers: [("Content-Type", "application/json")] + headers, body: jsonBytes(json))
    }

    func delete(_ node: String, headers: [(String, String)] = []) throws -> HTTPTestResponse {
        try request("DELETE", "/v1/nodes" + node, headers: headers)
    }

    /// POST /v1/txn.
    func txn(_ body: Any) throws -> HTTPTestResponse {
        try request("POST", "/v1/txn", headers: [("Content-Type", "application/json")], body: jsonBytes(body))
    }

    /// POST /v1/sessions; returns the new session's id.
    func openSession(ttl: Int? = nil) throws -> String {
        let body: [UInt8]? = ttl.map { jsonBytes(["ttl": $0]) }
        let response = try request(
            "POST", "/v1/sessions", headers: body == nil ? [] : [("Content-Type", "application/json")], body: body)
        guard response.status == 201, let id = response.object["id"] as? String else {
            throw HTTPClientError.malformed("POST /v1/sessions: \(response)")
        }
        return id
    }

    /// Every node under `path` (root by default), each mapped to its GET ?children=true body:
    /// data, full stat and children. Two equal snapshots mean nothing changed.
    func treeSnapshot(_ path: String = "/") throws -> [String: String] {
        var result: [String: String] = [:]
        var stack = [path]
        while let next = stack.popLast() {
            let response = try get((next == "/" ? "/" : next) + "?children=true")
            guard response.status == 200 else {
                result[next] = "\(response.status)"
                continue
            }
            result[next] = response.bodyText
            for child in response.children ?? [] { stack.append(next == "/" ? "/" + child : next + "/" + child) }
        }
        return result
    }

    /// `/metrics`, parsed; -1 when the metric is absent.
    func parked() throws -> Int { try metric("zkgate_http_parked_requests") }
}

/// Checks an invalid-parameter answer naming `field`.
func expectInvalidParameter(
    _ response: HTTPTestResponse, field: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectProblem(response, status: 400, type: "invalid-parameter", sourceLocation: sourceLocation)
    #expect(response.field == field, "\(response.bodyText)", sourceLocation: sourceLocation)
}

// MARK: Threads

/// A closure running on a thread of its own, with the time it finished: for clients that
/// block (a long-poll, a stream of writes) while the test does something else.
final class Background<T: Sendable>: Sendable {
    private let outcome = Mutex<(result: Result<T, any Error>, finishedAt: Double)?>(nil)

    init(_ name: String = "test-background", _ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let result = Result { try body() }
            let now = monotonicSeconds()
            outcome.withLock { $0 = (result, now) }
        }
        thread.name = name
        thread.start()
    }

    var isFinished: Bool { outcome.withLock { $0 != nil } }

    /// Waits for the closure to end; nil if it has not within `timeout`.
    func wait(timeout: Double) -> (result: Result<T, any Error>, finishedAt: Double)? {
        _ = eventually(timeout: timeout, every: 0.002) { isFinished }
        return outcome.withLock { $0 }
    }

    /// The closure's value, or throws its error (or a timeout).
    func value(timeout: Double) throws -> T {
        guard let done = wait(timeout: timeout) else {
            throw HTTPClientError.timedOut(waitingFor: "a background client", received: 0)
        }
        return try done.result.get()
    }
}

/// A value shared between test threads under a lock (a class, so closures can capture it).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }

    var value: Value { withLock { $0 } }
}
