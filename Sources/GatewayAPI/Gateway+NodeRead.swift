import Coordination
import HTTPCore
import HTTPServer
import Reactor
import Waiting

extension Gateway {
    /// GET /v1/nodes/{path}: data and stat (and children), at once or as a long-poll.
    func getNode(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let path: ZNodePath
        let view: NodeView
        let poll: LongPoll
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
            poll = try LongPoll.read(request, limits: waitLimits)
            consistent = try request.flag("consistent")
        } catch {
            return .response(error.response)
        }
        let key = WaitKey(path: path, children: view.children)
        let state = state(context)
        // Looked up once: on a miss each lookup hashes the path in two tables.
        let current = consistent ? nil : currentEntry(key, state: state, atLeast: poll.minIndex)

        // A plain read, the hot path: nothing to wait on or compare, so no closure is built.
        if case .none = poll.condition, let entry = current {
            if view.encoding == nil, !view.raw, entry.read.node != nil, let prepared = entry.prepared {
                return .response(prepared)
            }
            return .response(answer(entry.read, key: key, view: view, state: state))
        }

        let changed: @Sendable (ReadResult) -> Bool = { read in
            poll.changed(changeIndex: read.changeIndex, etag: read.node.map { NodeRepresentation.etag($0.stat, children: view.children) })
        }
        // `state` is given only on this loop's thread: the cache is not for other threads.
        let render: @Sendable (ReadResult, Bool, LoopState?) -> HTTPResponse = { [self] read, changedNow, state in
            if poll.answersNotModified && !changedNow, let node = read.node {
                return HTTPResponse(status: .notModified, headers: [
                    "ETag": NodeRepresentation.etag(node.stat, children: view.children),
                    "Zkgate-Index": String(read.index),
                ])
            }
            return self.answer(read, key: key, view: view, state: state)
        }

        guard let entry = current else {
            // A remote backend (or a linearizable read): ask it, then answer; it is not cached
            // yet, so it cannot park on the loop: a wait is a task, this once.
            let minimum = poll.minIndex
            let waits = poll.waits
            return waitInTask(context, wait: waits ? poll.wait : nil, poll: { [backend] (first) throws(CoordinationError) in
                var read: ReadResult
                if first {
                    if consistent { _ = try await backend.sync(path) }
                    read = try await backend.read(path, children: view.children)
                    // Read-your-writes: a member behind the client's Zkgate-Index catches up first.
                    if read.index < minimum {
                        _ = try await backend.sync(path)
                        read = try await backend.read(path, children: view.children)
                    }
                } else if let cached = backend.readNow(path, children: view.children) {
                    read = cached
                } else {
                    read = try await backend.read(path, children: view.children)
                }
                return (read, !waits || changed(read) ? .done : .waitForChange([path], after: read.index))
            }, render: { read, _ in render(read, changed(read), nil) })
        }
        let read = entry.read
        guard poll.waits, let wait = poll.wait, !changed(read) else {
            return .response(render(read, changed(read), state))
        }
        // Parked: registered on this loop before any later change batch can be applied here.
        guard let parking = state.parking else { return .response(render(read, true, state)) }
        return park(parking, key, wait: wait, context: context, state: state) { [self] wake in
            let now = self.currentRead(key, state: state, atLeast: 0) ?? read
            switch wake {
            case .changed: return changed(now) ? render(now, true, state) : nil
            case .timeout, .shutdown: return render(now, changed(now), state)
            }
        }
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
}

extension Gateway {
    /// A read without waiting when the backend can (the embedded store), else through it.
    func readAny(_ path: ZNodePath, children: Bool) async throws(CoordinationError) -> ReadResult {
        if let read = backend.readNow(path, children: children) { return read }
        return try await backend.read(path, children: children)
    }
}
