import HTTPCore
import HTTPServer

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

    func route(_ method: HTTPMethod, _ path: String) -> Routed {
        switch router.match(method: method, path: Substring(path)) {
        case .found(let handler, let params):
            let request = HTTPRequest(head: HTTPRequestHead(method: method, target: path))
            guard case .response(let response) = handler(request, Self.unusedContext) else { return .found("deferred?", []) }
            return .found(response.headers["X-Route"] ?? "?", params.map { "\($0.0)=\($0.1)" })
        case .notFound: return .notFound
        case .methodNotAllowed(let allow): return .methodNotAllowed(allow.map(\.rawValue))
        case .badPath: return .badPath
        }
    }

    /// A RequestContext can only be made by a live connection. These handlers never touch it,
    /// so a non-null bit pattern of the right size stands in (it is never dereferenced).
    static var unusedContext: RequestContext {
        let words = MemoryLayout<RequestContext>.size / MemoryLayout<UInt>.size
        precondition(words * MemoryLayout<UInt>.size == MemoryLayout<RequestContext>.size)
        return [UInt](repeating: 0x1000, count: words).withUnsafeBytes { $0.load(as: RequestContext.self) }
    }
}
