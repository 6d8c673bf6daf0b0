import HTTPCore
import HTTPServer
import Reactor

/// What routing a path produced, in a form `#expect` can compare and print.
enum Routed: Equatable, CustomStringConvertible {
    /// The route's pattern (as "METHOD /pattern") and its parameters as "name=value".
    case found(String, [String])
    case notFound
    case methodNotAllowed([String])
    case badPath

    var description: String {
        switch self {
        case .found(let route, let params): "found(\(route), \(params))"
        case .notFound: "notFound"
        case .methodNotAllowed(let allow): "methodNotAllowed(\(allow))"
        case .badPath: "badPath"
        }
    }
}

/// A router whose every handler answers with a header naming its route, so a test can tell
/// which handler a match picked.
struct TaggedRouter {
    private(set) var router = Router()

    init(_ routes: [(HTTPMethod, String)]) {
        for (method, pattern) in routes { add(method, pattern) }
    }

    mutating func add(_ method: HTTPMethod, _ pattern: String) {
        let tag = "\(method.rawValue) \(pattern)"
        router.add(method, pattern) { _, _ in .response(HTTPResponse(headers: ["X-Route": tag])) }
    }

    /// Routes and runs the handler through a `RequestRecorder`, as a connection would.
    func route(_ method: HTTPMethod, _ path: String) async -> Routed {
        switch router.match(method: method, path: Substring(path)) {
        case .found(_, let params):
            let recorder = RequestRecorder(loop: Self.loop)
            guard let response = await recorder.response(HTTPRequestHead(method: method, target: path), to: router) else {
                return .found("stream?", [])
            }
            return .found(response.headers["X-Route"] ?? "?", params.map { "\($0.0)=\($0.1)" })
        case .notFound: return .notFound
        case .methodNotAllowed(let allow): return .methodNotAllowed(allow.map(\.rawValue))
        case .badPath: return .badPath
        }
    }

    /// One running loop for every router test: handlers run on a loop's thread.
    static let loop: EventLoop = {
        do { return try EventLoopGroup(count: 1, name: "router-test").loops[0] } catch { fatalError("no event loop: \(error)") }
    }()
}
