import Dispatch
import HTTPCore
import HTTPServer

/// Routes that exercise deferred and streamed answers end to end (enabled by
/// `--debug-routes`): they let tests and operators check parking, cancellation and
/// completion from other threads on a live binary.
enum DebugRoutes {
    static var routes: [Route] {
        // POST|PUT /debug/echo — answers the request body as octet-stream, so clients can test
        // Content-Length, chunked uploads, 100-continue and the body limit.
        let echo: HTTPHandler = { request, _ in
            .response(HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body))
        }
        let debug = { (method: HTTPMethod, template: String, handler: @escaping HTTPHandler) in
            Route(method, template, .admin, .none, handler)
        }
        // GET /debug/defer?ms=N&from=thread|loop — answers after N ms, from a dispatch
        // thread or from a loop timer.
        let deferred = debug(.get, "/debug/defer") { request, context in
            guard let ms = request.query["ms"].flatMap(Int.init), (0...60_000).contains(ms) else {
                return .response(.problem(.badRequest, type: "invalid-parameter", detail: "ms must be an integer from 0 to 60000."))
            }
            let from = request.query["from"] ?? "thread"
            guard from == "thread" || from == "loop" else {
                return .response(.problem(.badRequest, type: "invalid-parameter", detail: "from must be thread or loop."))
            }
            let answer = HTTPResponse.json(.ok, #"{"waitedMs":\#(ms),"from":"\#(from)"}"#)
            let deferred = context.deferResponse { reason, handle in
                // On shutdown, answer at once, as a long-poll answers with the unchanged state.
                if reason == .shutdown { handle.respond(.json(.ok, #"{"waitedMs":0,"from":"shutdown"}"#)) }
            }
            if from == "loop" {
                context.loop.schedule(after: UInt64(ms) * 1_000_000) { deferred.respond(answer) }
            } else {
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(ms)) { deferred.respond(answer) }
            }
            return .deferred
        }
        // GET /debug/stream?count=N&interval_ms=M — a chunked stream of N JSON lines.
        let stream = debug(.get, "/debug/stream") { request, context in
            let count = request.query["count"].map { Int($0) ?? -1 } ?? 3
            let interval = request.query["interval_ms"].map { Int($0) ?? -1 } ?? 10
            guard (0...1000).contains(count), (0...1000).contains(interval) else {
                return .response(.problem(.badRequest, type: "invalid-parameter",
                    detail: "count and interval_ms must be integers from 0 to 1000."))
            }
            let deferred = context.deferResponse()
            deferred.startStream(headers: ["Content-Type": "application/x-ndjson"])
            let loop = context.loop
            @Sendable func tick(_ i: Int) {
                if i == count {
                    deferred.finish()
                    return
                }
                deferred.send(Array(#"{"seq":\#(i)}"#.utf8) + [0x0A])
                loop.schedule(after: UInt64(interval) * 1_000_000) { tick(i + 1) }
            }
            tick(0)
            return .deferred
        }
        return [debug(.post, "/debug/echo", echo), debug(.put, "/debug/echo", echo), deferred, stream]
    }
}
