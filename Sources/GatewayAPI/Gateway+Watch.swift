import Coordination
import HTTPCore
import HTTPServer
import JSON
import Reactor

extension Gateway {
    func addWatchRoute(to router: inout Router) {
        router.add(.get, "/v1/watch/{path...}") { [self] in watch($0, $1) }
    }

    /// GET /v1/watch/{path}: the changes to a node (or with `recursive=true` its subtree)
    /// after the cursor `since` (or `Last-Event-ID`), as a batch with the next cursor, waiting
    /// for the first one (`wait`); `Accept: text/event-stream` streams them as server-sent
    /// events with heartbeats. A cursor older than the retained history is 410 Gone with a
    /// snapshot of the subtree and a fresh cursor; without a cursor the feed starts now.
    func watch(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let path: ZNodePath
        do { path = try request.nodePath() } catch { return .response(error.problem()) }
        let recursive: Bool
        var since: Int64?
        let waitMs: Int64
        do {
            recursive = try request.flag("recursive")
            since = try request.integer("since", in: 0...Int64.max)
            waitMs = try Self.waitMs(request, max: options.maxWaitMs) ?? min(Self.defaultWaitMs, options.maxWaitMs)
        } catch {
            return .response(error.response)
        }
        if let id = request.headers["Last-Event-ID"] {
            guard let value = Int64(id), value >= 0 else {
                return .response(BadRequest(field: "Last-Event-ID", detail: "Last-Event-ID takes an event id, an integer from 0.").response)
            }
            since = since ?? value
        }
        let streaming = request.headers["Accept"]?.contains("text/event-stream") == true
        let key = FeedKey(path: path, recursive: recursive)
        let state = state(context)
        let limit = options.watchHistory
        let (resumable, events, latest) = fanout.history.withLock { history in
            (since.map { history.canResume(after: $0) } ?? true,
             since.map { history.events(after: $0, limit: limit, key.matches) } ?? [], history.latest)
        }
        guard resumable else { return answerLater(context) { [self] in await gone(key, next: latest) } }
        let cursor = since ?? latest

        if streaming {
            let stream = StreamBox()
            let response = context.deferResponse { reason, handle in
                guard let feed = stream.feed else { return }
                state.removeStream(feed)
                if reason == .shutdown { handle.finish() }
            }
            response.startStream(headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"])
            if !events.isEmpty { response.send(FeedStream.encode(events)) }
            let feed = FeedStream(key: key, response: response, sent: max(cursor, latest))
            stream.feed = feed
            state.addStream(feed)
            return .deferred
        }
        if !events.isEmpty {
            let next = events.count == limit ? events.last!.zxid : max(latest, events.last!.zxid)
            return .response(WatchFeed.response(events, next: next))
        }
        guard waitMs > 0, let parking = state.feedParking else {
            return .response(WatchFeed.response([], next: max(cursor, latest)))
        }
        let seen = max(cursor, latest)
        let deadline = context.loop.now + UInt64(Self.jittered(waitMs, state: state)) * 1_000_000
        let parked = parking.park(key, context: context, deadline: deadline) { wake in
            switch wake {
            case .changed:
                guard let batch = state.currentBatch else { return nil }
                if batch.resync { return Self.resynced(next: batch.zxid) }
                let fresh = batch.events.filter { $0.zxid > seen && key.matches($0) }
                return fresh.isEmpty ? nil : WatchFeed.response(fresh, next: batch.zxid)
            case .timeout, .shutdown:
                return WatchFeed.response([], next: max(seen, state.appliedIndex))
            }
        }
        guard parked != nil else {
            return .response(.problem(.tooManyRequests, type: "too-many-waiters",
                detail: "Too many long-polls are parked on this server; retry shortly.", headers: ["Retry-After": "1"]))
        }
        return .deferred
    }

    /// 410: the feed cannot resume; here is the subtree now and a cursor to continue from.
    func gone(_ key: FeedKey, next: Int64) async -> HTTPResponse {
        var nodes: [NodeSnapshot] = []
        var complete = true
        if let root = try? await readAny(key.path, children: false).node {
            nodes.append(root)
            if key.recursive {
                if let below = await subtree(key.path) {
                    for path in below.reversed() {
                        if let node = try? await readAny(path, children: false).node { nodes.append(node) }
                    }
                } else {
                    complete = false
                }
            }
        }
        var w = JSONWriter()
        w.beginArray()
        for node in nodes { NodeRepresentation.write(node, encoding: nil, into: &w) }
        w.endArray()
        return .problem(.gone, type: "cursor-expired",
            detail: complete
                ? "The cursor is older than the retained history: start again from the snapshot and next."
                : "The cursor is older than the retained history, and the subtree is too large to list.",
            extra: [("next", String(next)), ("snapshot", w.string)])
    }

    /// 410 for a parked feed when the backend reports that changes may have been missed.
    static func resynced(next: Int64) -> HTTPResponse {
        .problem(.gone, type: "cursor-expired",
            detail: "The gateway lost its connection to the backend and changes may have been missed: re-read, then continue from next.",
            extra: [("next", String(next)), ("snapshot", "[]")])
    }

    final class StreamBox: @unchecked Sendable {
        var feed: FeedStream?
    }
}

/// The watch feed's JSON.
enum WatchFeed {
    static func write(_ event: WatchEvent, into w: inout JSONWriter) {
        w.beginObject()
        w.key("type"); w.string(event.kind.rawValue)
        w.key("path"); w.string(event.path.string)
        w.key("index"); w.number(event.zxid)
        w.endObject()
    }

    /// `{"events": [...], "next": N}`; pass `next` back as `since`.
    static func response(_ events: [WatchEvent], next: Int64) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        w.key("events")
        w.beginArray()
        for event in events { write(event, into: &w) }
        w.endArray()
        w.key("next"); w.number(next)
        w.endObject()
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Zkgate-Index": String(next)],
            body: w.bytes)
    }
}
