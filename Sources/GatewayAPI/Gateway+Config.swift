import Coordination
import HTTPCore
import HTTPServer
import JSON
import Recipes

extension Gateway {
    func addConfigRoute(to router: inout Router) {
        router.add(.get, "/v1/config/{path...}") { [self] in getConfig($0, $1) }
    }

    /// GET: the effective configuration of `{path}`, the deep merge of the JSON objects at the
    /// config root, each ancestor and the path itself. `ETag` and the long-poll (`?index=`, or
    /// `If-None-Match` with `Prefer: wait=`) cover every layer.
    ///
    /// Served from this loop's cache when every layer is cached, and parked on the loop, so
    /// 10,000 devices waiting on one config cost one wake-up pass, not a task each.
    func getConfig(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let name = request.parameter("path") ?? ""
        let root = options.roots.config
        let leaf: ZNodePath
        do {
            leaf = try ConfigLayers.leaf(name, under: root)
        } catch {
            return .response(error.problem())
        }
        let index: Int64?
        let waitMs: Int64?
        let etags: [String]?
        var minIndex: Int64 = 0
        do throws(BadRequest) {
            if let text = request.headers["Zkgate-Index"] {
                guard let value = Int64(text), value >= 0 else {
                    throw BadRequest(field: "Zkgate-Index", detail: "Zkgate-Index takes the index of an earlier answer, an integer from 0.")
                }
                minIndex = value
            }
            index = try request.integer("index", in: 0...Int64.max)
            waitMs = try Self.waitMs(request, max: options.maxWaitMs)
            etags = try request.headers["If-None-Match"].map { (v) throws(BadRequest) in try ETagList.parse(v, header: "If-None-Match").tags }
        } catch {
            return .response(error.response)
        }
        let changed: @Sendable (LoopState.ConfigAnswer) -> Bool = { answer in
            if let index { return answer.changeIndex > index }
            if let etags { return !etags.contains(answer.etag) }
            return true
        }
        let render: @Sendable (LoopState.ConfigAnswer, Bool) -> HTTPResponse = { answer, changedNow in
            if etags != nil, index == nil, !changedNow {
                return HTTPResponse(status: .notModified, headers: ["ETag": answer.etag, "Zkgate-Index": String(answer.index)])
            }
            return answer.response
        }
        let state = state(context)
        guard let answer = configAnswer(name, leaf: leaf, state: state, atLeast: minIndex) else {
            let layers = ConfigLayers.paths(to: leaf, under: root)
            // Some layer is not cached (a remote backend's first read): read and wait in a task.
            let waitNs = UInt64(max(0, waitMs ?? 0)) * 1_000_000
            let floor = minIndex
            return answerLaterCancellable(context) { [self] in
                let deadline = ContinuousClock.now + .nanoseconds(Int64(waitNs))
                do throws(CoordinationError) {
                    while true {
                        var reads: [ReadResult] = []
                        for layer in layers {
                            var read = try await backend.readAny(layer, children: false)
                            // Read-your-writes: a member behind the client's Zkgate-Index catches up first.
                            if read.index < floor {
                                _ = try await backend.sync(layer)
                                read = try await backend.read(layer, children: false)
                            }
                            reads.append(read)
                        }
                        let answer = Self.renderConfig(name, layers: layers, reads: reads)
                        let left = ContinuousClock.now.duration(to: deadline)
                        let leftNs = left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000
                        if changed(answer) || leftNs <= 0 || Task.isCancelled { return render(answer, changed(answer)) }
                        let readIndex = reads.map(\.index).min() ?? 0
                        _ = await fanout.remote.waitForChange(Set(layers), after: readIndex, timeoutNs: UInt64(leftNs))
                    }
                } catch {
                    return error.problem()
                }
            }
        }
        guard let waitMs, waitMs > 0, index != nil || etags != nil, !changed(answer) else {
            return .response(render(answer, changed(answer)))
        }
        guard let parking = state.configParking else { return .response(render(answer, true)) }
        let deadline = context.loop.now + UInt64(Self.jittered(waitMs, state: state)) * 1_000_000
        let parked = parking.park(leaf, context: context, deadline: deadline) { [self] wake in
            guard let now = configAnswer(name, leaf: leaf, state: state) else {
                // A layer left the caches: answer from the last known state rather than guess.
                if case .changed = wake { return nil }
                return render(answer, false)
            }
            switch wake {
            case .changed: return changed(now) ? render(now, true) : nil
            case .timeout, .shutdown: return render(now, changed(now))
            }
        }
        guard parked != nil else {
            return .response(.problem(.tooManyRequests, type: "too-many-waiters",
                detail: "Too many long-polls are parked on this server; retry shortly.", headers: ["Retry-After": "1"]))
        }
        return .deferred
    }

    /// The effective config from this loop's caches, or nil when a layer is not cached (or is
    /// cached older than `minIndex`, the client's read-your-writes floor).
    func configAnswer(_ name: String, leaf: ZNodePath, state: LoopState, atLeast minIndex: Int64 = 0) -> LoopState.ConfigAnswer? {
        // The hot path: a cached answer, with no layer list built.
        if let cached = state.configCache[leaf], cached.index >= minIndex || state.appliedIndex >= minIndex { return cached }
        let layers = ConfigLayers.paths(to: leaf, under: options.roots.config)
        var reads: [ReadResult] = []
        reads.reserveCapacity(layers.count)
        for layer in layers {
            guard let read = currentRead(WaitKey(path: layer, children: false), state: state, atLeast: minIndex) else { return nil }
            reads.append(read)
        }
        let answer = Self.renderConfig(name, layers: layers, reads: reads)
        state.configCache[leaf] = answer
        return answer
    }

    /// Merges the layers into the answer (a 422 naming a layer that is not a JSON object).
    static func renderConfig(_ name: String, layers: [ZNodePath], reads: [ReadResult]) -> LoopState.ConfigAnswer {
        let changeIndex = reads.map(\.changeIndex).max() ?? 0
        let index = reads.map(\.index).max() ?? 0
        let etag = "\"\(changeIndex)\""
        let headers: HTTPHeaders = ["ETag": etag, "Zkgate-Index": String(index)]
        let merged: (config: JSONObject, used: [ZNodePath])
        do {
            merged = try ConfigLayers.merge(zip(layers, reads).map { ConfigLayers.Layer(path: $0, data: $1.node?.data) })
        } catch {
            var problem = error.problem()
            problem.headers.add(name: "Zkgate-Index", value: String(index))
            return LoopState.ConfigAnswer(changeIndex: changeIndex, index: index, etag: etag, response: problem)
        }
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("path"); w.string("/" + name)
        w.key("config"); w.value(.object(merged.config))
        w.key("layers")
        w.beginArray()
        for (layer, read) in zip(layers, reads) where merged.used.contains(layer) {
            guard let node = read.node else { continue }
            w.beginObject()
            w.key("path"); w.string(layer.string)
            w.key("version"); w.number(Int64(node.stat.version))
            w.key("mzxid"); w.number(node.stat.mzxid)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        var response = HTTPResponse(status: .ok, headers: headers, body: w.bytes)
        response.headers.add(name: "Content-Type", value: "application/json")
        return LoopState.ConfigAnswer(changeIndex: changeIndex, index: index, etag: etag, response: response)
    }
}
