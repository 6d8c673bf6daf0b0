import Foundation
import TestSupport
import Testing

/// Recipe requests of the end-to-end suites that need a real process (Curator interop, ZooKeeper faults).
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
