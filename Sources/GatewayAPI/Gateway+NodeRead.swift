import Coordination
import HTTPCore
import HTTPServer
import Reactor

extension Gateway {
    /// Long-polls wait 30 s by default, and at most `Options.maxWaitMs` (55 s by default, under
    /// the common 60 s proxy cut-off).
    static let defaultWaitMs: Int64 = 30_000

    /// GET /v1/nodes/{path}: data and stat (and children), at once or as a long-poll.
    func getNode(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let path: ZNodePath
        let view: NodeView
        let index: Int64?
        let waitMs: Int64?
        let consistent: Bool
        do {
            path = try request.nodePath()
        } catch {
            return .response(error.problem())
        }
        do {
            view = NodeView(
                children: try request.flag("children"), encoding: try encoding(request),
                raw: Self.wantsRaw(request.headers))
            index = try request.integer("index", in: 0...Int64.max)
            waitMs = try Self.waitMs(request, max: options.maxWaitMs)
            consistent = try request.flag("consistent")
        } catch {
            return .response(error.response)
        }
        let key = WaitKey(path: path, children: view.children)
        var minIndex: Int64 = 0
        if let text = request.headers["Zkgate-Index"] {
            guard let value = Int64(text), value >= 0 else {
                return .response(BadRequest(field: "Zkgate-Index",
                    detail: "Zkgate-Index takes the index of an earlier answer, an integer from 0.").response)
            }
            minIndex = value
        }
        let etags: [String]?
        do {
            etags = try request.headers["If-None-Match"].map { (v) throws(BadRequest) in try ETagList.parse(v, header: "If-None-Match").tags }
        } catch {
            return .response(error.response)
        }
        let state = state(context)
        // Looked up once: on a miss each lookup hashes the path in two tables.
        let current = consistent ? nil : currentEntry(key, state: state, atLeast: minIndex)

        // A plain read, the hot path: nothing to wait on or compare, so no closure is built.
        if index == nil, etags == nil, let entry = current {
            if view.encoding == nil, !view.raw, entry.read.node != nil, let prepared = entry.prepared {
                return .response(prepared)
            }
            return .response(answer(entry.read, key: key, view: view, state: state))
        }

        // What "changed" means for this request, if it waits at all.
        let changed: (@Sendable (ReadResult) -> Bool)?
        if let index {
            changed = { $0.changeIndex > index }
        } else if let etags {
            changed = { read in
                guard let node = read.node else { return true }
                return !etags.contains(NodeRepresentation.etag(node.stat, children: view.children))
            }
        } else {
            changed = nil
        }
        // `state` is given only on this loop's thread: the cache is not for other threads.
        let render: @Sendable (ReadResult, Bool, LoopState?) -> HTTPResponse = { [self] read, changedNow, state in
            if etags != nil && index == nil && !changedNow, let node = read.node {
                return HTTPResponse(status: .notModified, headers: [
                    "ETag": NodeRepresentation.etag(node.stat, children: view.children),
                    "Zkgate-Index": String(read.index),
                ])
            }
            return self.answer(read, key: key, view: view, state: state)
        }

        guard let entry = current else {
            // A remote backend (or a linearizable read): ask it, then answer; long-polls then
            // continue on this loop's cache.
            let waitNs = waitMs.map { UInt64(Self.jittered($0, state: state)) * 1_000_000 } ?? 0
            let minimum = minIndex
            return answerLater(context) { [backend, fanout] in
                do throws(CoordinationError) {
                    if consistent { _ = try await backend.sync(path) }
                    var read = try await backend.read(path, children: view.children)
                    // Read-your-writes: a member behind the client's Zkgate-Index catches up first.
                    if read.index < minimum {
                        _ = try await backend.sync(path)
                        read = try await backend.read(path, children: view.children)
                    }
                    guard let changed, waitNs > 0, !changed(read) else { return render(read, changed?(read) ?? true, nil) }
                    // Not cached yet, so it cannot park on the loop: wait here, this once.
                    let deadline = ContinuousClock.now + .nanoseconds(Int64(waitNs))
                    while true {
                        let left = ContinuousClock.now.duration(to: deadline)
                        let leftNs = left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000
                        let woke = leftNs > 0 ? await fanout.remote.waitForChange(path, after: read.index, timeoutNs: UInt64(leftNs)) : false
                        if let cached = backend.readNow(path, children: view.children) {
                            read = cached
                        } else {
                            read = try await backend.read(path, children: view.children)
                        }
                        if changed(read) { return render(read, true, nil) }
                        if !woke { return render(read, false, nil) }
                    }
                } catch {
                    return error.problem()
                }
            }
        }
        let read = entry.read
        guard let changed, let waitMs, waitMs > 0, !changed(read) else {
            return .response(render(read, changed?(read) ?? true, state))
        }
        // Parked: registered on this loop before any later change batch can be applied here.
        guard let parking = state.parking else { return .response(render(read, true, state)) }
        let deadline = context.loop.now + UInt64(Self.jittered(waitMs, state: state)) * 1_000_000
        let parked = parking.park(key, context: context, deadline: deadline) { [self] wake in
            let now = self.currentRead(key, state: state, atLeast: 0) ?? read
            switch wake {
            case .changed: return changed(now) ? render(now, true, state) : nil
            case .timeout, .shutdown: return render(now, changed(now), state)
            }
        }
        guard parked != nil else {
            return .response(.problem(.tooManyRequests, type: "too-many-waiters",
                detail: "Too many long-polls are parked on this server; retry shortly.", headers: ["Retry-After": "1"]))
        }
        return .deferred
    }

    /// The node as this loop sees it: its cache, or a read of the backend's durable state;
    /// nil when the backend cannot answer without waiting.
    func currentRead(_ key: WaitKey, state: LoopState, atLeast index: Int64) -> ReadResult? {
        currentEntry(key, state: state, atLeast: index)?.read
    }

    /// As `currentRead`, with the cached default answer when there is one.
    func currentEntry(_ key: WaitKey, state: LoopState, atLeast index: Int64) -> LoopState.Entry? {
        if let entry = state.cached(key, atLeast: index) { return entry }
        // A remote backend's cached read can be older than the index a client asks for
        // (read-your-writes): then the backend is asked, not the cache.
        guard let read = backend.readNow(key.path, children: key.children), read.index >= index else { return nil }
        state.store(key, read)
        return LoopState.Entry(read: read, prepared: nil)
    }

    /// Renders a read, reusing the cached default answer when there is one.
    func answer(_ read: ReadResult, key: WaitKey, view: NodeView, state: LoopState?) -> HTTPResponse {
        guard let node = read.node else {
            return CoordinationError.noNode(key.path).problem(headers: ["Zkgate-Index": String(read.index)])
        }
        let isDefault = view.encoding == nil && !view.raw
        if isDefault, let prepared = state?.cached(key, atLeast: read.index)?.prepared { return prepared }
        let response = NodeRepresentation.response(node, index: read.index, view: view)
        if isDefault { state?.setPrepared(key, response) }
        return response
    }

    func encoding(_ request: HTTPRequest) throws(BadRequest) -> DataEncoding? {
        guard let value = request.query["encoding"] else { return nil }
        guard let encoding = DataEncoding(rawValue: value) else {
            throw BadRequest(field: "encoding", detail: "encoding must be utf8 or base64.")
        }
        return encoding
    }

    static func wantsRaw(_ headers: HTTPHeaders) -> Bool {
        guard let accept = headers["Accept"] else { return false }
        return accept.contains("application/octet-stream") && !accept.contains("application/json")
    }

    /// The wait from `?wait=` or `Prefer: wait=N` (seconds), clamped; nil when neither is given
    /// (with `?index=` the default wait applies).
    static func waitMs(_ request: HTTPRequest, max maxWaitMs: Int64) throws(BadRequest) -> Int64? {
        if let text = request.query["wait"] {
            guard let ms = WaitDuration.parse(text) else {
                throw BadRequest(field: "wait", detail: "wait must be a duration such as 30s, 500ms or 1m.")
            }
            return min(ms, maxWaitMs)
        }
        if let prefer = request.headers["Prefer"],
            let part = prefer.split(separator: ",").map({ $0.trimmingPrefix(" ") }).first(where: { $0.hasPrefix("wait=") })
        {
            guard let ms = WaitDuration.parse(String(part.dropFirst(5))) else {
                throw BadRequest(field: "Prefer", detail: "Prefer: wait= takes seconds, such as wait=30.")
            }
            return min(ms, maxWaitMs)
        }
        return request.query["index"] != nil ? min(defaultWaitMs, maxWaitMs) : nil
    }

    /// Adds up to wait/16 of jitter, so that waiters parked together do not all return together.
    static func jittered(_ waitMs: Int64, state: LoopState) -> Int64 {
        let spread = waitMs / 16
        return spread > 0 ? waitMs + Int64(state.nextRandom() % UInt64(spread + 1)) : waitMs
    }
}

extension Gateway {
    /// A read without waiting when the backend can (the embedded store), else through it.
    func readAny(_ path: ZNodePath, children: Bool) async throws(CoordinationError) -> ReadResult {
        if let read = backend.readNow(path, children: children) { return read }
        return try await backend.read(path, children: children)
    }
}
