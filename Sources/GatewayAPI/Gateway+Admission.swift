import HTTPCore
import HTTPServer
import JSON

extension Gateway {
    /// JSON bodies from this size up are parsed on the server's bulk loop. Below it parsing
    /// costs at most about a millisecond (the worst shapes parse at some 80 MB/s), which a
    /// serving loop absorbs; above it, up to the 1 MiB body limit, it would cost everyone on
    /// that loop up to 13 ms.
    static let offloadedBodyBytes = 64 << 10

    /// What every request passes through before its route's handler: a large JSON body is
    /// parsed off the loop first, and the handler then runs back on the loop with it.
    func admit(_ route: Route) -> HTTPHandler {
        let handler = route.handler
        return { request, context in
            guard request.body.count >= Self.offloadedBodyBytes, Self.mayBeJSON(request) else {
                return handler(request, context)
            }
            return context.offload({ Result { () throws(JSONError) in try JSONParser.parse(request.body) } }) {
                parsed, context in
                var request = request
                request.parsedBody = parsed
                return handler(request, context)
            }
        }
    }

    /// Whether a route taking JSON would parse this body: raw node data
    /// (`application/octet-stream`) is stored as sent.
    static func mayBeJSON(_ request: HTTPRequest) -> Bool {
        guard let type = request.headers["Content-Type"] else { return true }
        return WriteBody.mediaType(type) != "application/octet-stream"
    }
}
