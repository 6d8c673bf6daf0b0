import Coordination
import HTTPCore
import HTTPServer
import JSON
import Recipes
import Waiting

extension Gateway {
    /// Layered configuration below the config root.
    var configRoutes: [Route] {
        let config = RouteTarget.znode(root: options.roots.config, parameters: ["path"])
        return [
            Route(.get, "/v1/config/{path...}", .read, config) { [self] in getConfig($0, $1) },
        ]
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
        let poll: LongPoll
        do {
            poll = try LongPoll.read(request, limits: waitLimits)
        } catch {
            return .response(error.response)
        }
        let changed: @Sendable (LoopState.ConfigAnswer) -> Bool = { poll.changed(changeIndex: $0.changeIndex, etag: $0.etag) }
        let render: @Sendable (LoopState.ConfigAnswer, Bool) -> HTTPResponse = { answer, changedNow in
            if poll.answersNotModified, !changedNow {
                return HTTPResponse(status: .notModified, headers: ["ETag": answer.etag, "Zkgate-Index": String(answer.index)])
            }
            return answer.response
        }
        let state = state(context)
        // Under a policy, a principal's configuration merges the layers it may read (the
        // leaf's own read was decided before this handler); one that may not read them all
        // is served from the backend's reads, not the loop's shared cache of whole merges.
        let allLayers = ConfigLayers.paths(to: leaf, under: root)
        let visible = feedFilter(state).map { filter in allLayers.filter { $0 == leaf || filter.allows($0) } } ?? allLayers
        let cachedAnswer = visible.count == allLayers.count ? configAnswer(name, leaf: leaf, state: state, atLeast: poll.minIndex) : nil
        guard let answer = cachedAnswer else {
            let layers = visible
            // Some layer is not cached (a remote backend's first read): read and wait in a task.
            let floor = poll.minIndex
            let waits = poll.waits
            return waitInTask(context, wait: waits ? poll.wait : nil, poll: { [backend] _ throws(CoordinationError) in
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
                let readIndex = reads.map(\.index).min() ?? 0
                return (answer, !waits || changed(answer) ? .done : .waitForChange(Set(layers), after: readIndex))
            }, render: { answer, _ in render(answer, changed(answer)) })
        }
        guard poll.waits, let wait = poll.wait, !changed(answer) else {
            return .response(render(answer, changed(answer)))
        }
        guard let parking = state.configParking else { return .response(render(answer, true)) }
        return park(parking, leaf, wait: wait, context: context, state: state) { [self] wake in
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
        let answer = Self.renderConfig(name, layers: layers, reads: reads, parsed: state)
        state.configCache[leaf] = answer
        return answer
    }

    /// Merges the layers into the answer (a 422 naming a layer that is not a JSON object).
    ///
    /// With `parsed` (the loop's state), each layer is parsed once per change on this loop,
    /// however many config paths below it are read: a large layer costs its own writers a
    /// parse, not every reader one.
    static func renderConfig(_ name: String, layers: [ZNodePath], reads: [ReadResult], parsed: LoopState? = nil)
        -> LoopState.ConfigAnswer
    {
        let changeIndex = reads.map(\.changeIndex).max() ?? 0
        let index = reads.map(\.index).max() ?? 0
        let etag = "\"\(changeIndex)\""
        let headers: HTTPHeaders = ["ETag": etag, "Zkgate-Index": String(index)]
        let merged: (config: JSONObject, used: [ZNodePath])
        do throws(RecipeError) {
            var objects: [(ZNodePath, JSONObject?)] = []
            objects.reserveCapacity(layers.count)
            for (layer, read) in zip(layers, reads) {
                let data = ConfigLayers.Layer(path: layer, data: read.node?.data)
                let object: JSONObject?
                if let parsed {
                    object = try parsed.parsedLayer(data, mzxid: read.node?.stat.mzxid)
                } else {
                    object = try ConfigLayers.parse(data)
                }
                objects.append((layer, object))
            }
            merged = ConfigLayers.merge(parsed: objects)
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
