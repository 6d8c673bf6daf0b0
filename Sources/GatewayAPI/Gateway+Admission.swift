import Coordination
import HTTPCore
import HTTPServer
import JSON

extension Gateway {
    /// JSON bodies from this size up are parsed on the server's bulk loop. Below it parsing
    /// costs at most about a millisecond (the worst shapes parse at some 80 MB/s), which a
    /// serving loop absorbs; above it, up to the 1 MiB body limit, it would cost everyone on
    /// that loop up to 13 ms.
    static let offloadedBodyBytes = 64 << 10

    /// What every request passes through before its route's handler, in this order: the
    /// internal subtrees are refused to node writes (from the route's target paths, or for a
    /// transaction from its body); a large JSON body is parsed off the loop, and the rest
    /// runs back on the loop with it.
    func admit(_ route: Route) -> HTTPHandler {
        let handler = route.handler
        let writes = route.operation == .write
        let pathsInBody = route.target == .transaction
        return { [self] request, context in
            if writes, !pathsInBody, let refusal = internalRefusal(route, request) { return .response(refusal) }
            guard request.body.count >= Self.offloadedBodyBytes, Self.mayBeJSON(request) else {
                return self.afterBody(route, handler, pathsInBody, request, context)
            }
            return context.offload({ Result { () throws(JSONError) in try JSONParser.parse(request.body) } }) {
                parsed, context in
                var request = request
                request.parsedBody = parsed
                return self.afterBody(route, handler, pathsInBody, request, context)
            }
        }
    }

    /// The checks that need the body, then the handler.
    private func afterBody(
        _ route: Route, _ handler: HTTPHandler, _ pathsInBody: Bool, _ request: HTTPRequest, _ context: RequestContext
    ) -> HandlerResult {
        if pathsInBody, let refusal = internalRefusal(route, request) { return .response(refusal) }
        return handler(request, context)
    }

    /// 403 `internal-node` when a node write touches an internal subtree
    /// (`CoordinationBackend.internalRoots`), or would delete one with its parent. A request
    /// whose paths cannot be read is left to its handler, which answers it 400.
    func internalRefusal(_ route: Route, _ request: HTTPRequest) -> HTTPResponse? {
        guard let paths = try? route.paths(of: request) else { return nil }
        let recursive = request.method == .delete && request.query["recursive"].map { $0 != "false" && $0 != "0" } == true
        for path in paths {
            for root in backend.internalRoots where path.isWithin(root) || (recursive && path.isAncestor(of: root)) {
                return .problem(.forbidden, type: "internal-node",
                    detail: "\(root) holds the gateway's own records and is not written through the node API.",
                    extra: [("path", JSONWriter.quoted(path.string))])
            }
        }
        return nil
    }

    /// Whether a route taking JSON would parse this body: raw node data
    /// (`application/octet-stream`) is stored as sent.
    static func mayBeJSON(_ request: HTTPRequest) -> Bool {
        guard let type = request.headers["Content-Type"] else { return true }
        return WriteBody.mediaType(type) != "application/octet-stream"
    }
}
