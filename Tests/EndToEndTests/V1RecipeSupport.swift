import Foundation
import TestSupport
import Testing

/// Where a recipe end-to-end test runs: the embedded store, or the 3-node ensemble under a
/// chroot of its own (when the test environment has one).
struct RecipeBackend: Sendable, CustomTestStringConvertible {
    var name: String
    var testDescription: String { name }

    static let all: [RecipeBackend] =
        [RecipeBackend(name: "embedded")] + (V1ZooKeeper.connectString != nil ? [RecipeBackend(name: "zookeeper")] : [])

    /// A zkgate on this backend, and what to run once it is stopped.
    func start(_ test: String, arguments: [String] = []) throws -> (server: V1Server, cleanup: () -> Void) {
        guard name == "zookeeper", let connect = V1ZooKeeper.connectString else { return (try V1Server(arguments), {}) }
        let chroot = "/zkgate-e2e-\(test)-\(UInt32.random(in: 0...UInt32.max))"
        return (try V1Server(["--zookeeper", connect + chroot] + arguments), { V1ZooKeeper.cleanup(chroot) })
    }
}

extension RawHTTPClient {
    /// A JSON request to a recipe route.
    func recipe(_ method: String, _ target: String, _ body: Any? = nil, timeout: Double? = nil) throws -> HTTPTestResponse {
        try request(method, target, headers: body == nil ? [] : [("Content-Type", "application/json")],
            body: body.map(jsonBytes), timeout: timeout)
    }

    /// POST /v1/locks/`name`; the token when granted.
    func acquire(_ name: String, session: String, wait: String = "0s", timeout: Double? = 30) throws -> HTTPTestResponse {
        try recipe("POST", "/v1/locks/" + name, ["session": session, "wait": wait], timeout: timeout)
    }
}

extension HTTPTestResponse {
    var token: Int? { intValue(object["token"]) }
    var holder: [String: Any]? { object["holder"] as? [String: Any] }
}
