import HTTPCore
import HTTPServer

/// The gateway's routes. Until a backend exists this is the operational surface: health,
/// readiness and metrics, plus opt-in debug routes that exercise deferred answers.
public enum GatewayAPI {
    public struct Options: Sendable {
        /// Serve `/debug/...` routes (deferred and streamed answers for testing clients).
        public var debugRoutes: Bool
        public init(debugRoutes: Bool = false) { self.debugRoutes = debugRoutes }
    }

    /// The OpenAPI document served at `/openapi.yaml`.
    public static var openAPIDocument: String { OpenAPIDocument.yaml }

    /// Builds the route table. `stats` feeds `/metrics`.
    public static func router(options: Options, stats: HTTPServerStats) -> Router {
        var router = Router()
        let healthy = HTTPResponse.json(.ok, #"{"status":"ok"}"#)
        router.add(.get, "/healthz") { _, _ in .response(healthy) }
        let ready = HTTPResponse.json(.ok, #"{"status":"ready"}"#)
        router.add(.get, "/readyz") { _, _ in .response(ready) }
        router.add(.get, "/metrics") { _, _ in .response(Metrics.render(stats)) }
        let document = HTTPResponse(
            status: .ok, headers: ["Content-Type": "application/yaml"], body: Array(OpenAPIDocument.yaml.utf8))
        router.add(.get, "/openapi.yaml") { _, _ in .response(document) }
        if options.debugRoutes { DebugRoutes.add(to: &router) }
        return router
    }
}
