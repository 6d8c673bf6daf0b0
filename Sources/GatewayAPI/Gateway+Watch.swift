import Coordination
import HTTPCore
import HTTPServer
import JSON
import Reactor

extension Gateway {
    /// The change feed of a node or subtree.
    var watchRoutes: [Route] {
        let node = RouteTarget.znode(root: .root, parameters: ["path"])
        return [
            Route(.get, "/v1/watch/{path...}", .read, node) { [self] in watch($0, $1) },
        ]
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
        let wait: Duration
        do {
            recursive = try request.flag("recursive")
            since = try request.integer("since", in: 0...Int64.max)
            wait = try LongPoll.waitParameter(request, limits: waitLimits) ?? waitLimits.standard
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
        // Under a policy a subtree's feed carries only what its principal may read
        // (etcd GHSA-xg4h-6gfc-h4m8, ZooKeeper CVE-2024-23944): the route's check covered the
        // watched node, this covers each event below it.
        let filter = feedFilter(state)
        let visible: @Sendable (WatchEvent) -> Bool = { key.matches($0) && filter?.allows($0.path) != false }
        let limit = options.watchHistory
        let (resumable, events, latest) = fanout.history.withLock { history in
            (since.map { history.canResume(after: $0) } ?? true,
             since.map { history.events(after: $0, limit: limit, visible) } ?? [], history.latest)
        }
        guard resumable else { return answerLater(context) { [self] in await gone(key, filter: filter, next: latest) } }
        let cursor = since ?? latest

        if streaming {
            // A feed holds a slot of `--max-parked` for as long as it is open (LoopState's
            // `streams` gives it back).
            guard budget.acquire() else { return .response(Self.tooManyWaiters) }
            let stream = StreamBox()
            let response = context.deferResponse { reason, handle in
                guard let feed = stream.feed else { return }
                state.removeStream(feed)
                if reason == .shutdown { handle.finish() }
            }
            response.startStream(headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"])
            if !events.isEmpty { response.send(FeedStream.encode(events)) }
            let feed = FeedStream(key: key, filter: filter, response: response, sent: max(cursor, latest))
            stream.feed = feed
            state.addStream(feed)
            return .deferred
        }
        if !events.isEmpty {
            let next = events.count == limit ? events.last!.zxid : max(latest, events.last!.zxid)
            return .response(WatchFeed.response(events, next: next))
        }
        guard wait > .zero, let parking = state.feedParking else {
            return .response(WatchFeed.response([], next: max(cursor, latest)))
        }
        let seen = max(cursor, latest)
        return park(parking, key, wait: wait, context: context, state: state) { wake in
            switch wake {
            case .changed:
                guard let batch = state.currentBatch else { return nil }
                if batch.resync { return Self.resynced(next: batch.zxid) }
                let fresh = batch.events.filter { $0.zxid > seen && visible($0) }
                return fresh.isEmpty ? nil : WatchFeed.response(fresh, next: batch.zxid)
            case .timeout, .shutdown:
                return WatchFeed.response([], next: max(seen, state.appliedIndex))
            }
        }
    }

    /// The watch feed's filter for the request being handled: nil without a policy and for
    /// administrators.
    func feedFilter(_ state: LoopState) -> FeedFilter? {
        guard accessSlot != nil, let (_, rules) = state.access.current, !rules.isAdministrator else { return nil }
        return FeedFilter(rules: rules, internalRoots: backend.internalRoots)
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
