import Coordination
import HTTPCore
import HTTPServer
import JSON

extension Gateway {
    /// Node routes: reads (and long-polls) and writes of any znode below `/`.
    var nodeRoutes: [Route] {
        let node = RouteTarget.znode(root: .root, parameters: ["path"])
        return [
            Route(.get, "/v1/nodes/{path...}", .read, node) { [self] in getNode($0, $1) },
            Route(.put, "/v1/nodes/{path...}", .write, node) { [self] in putNode($0, $1) },
            Route(.post, "/v1/nodes/{path...}", .write, node) { [self] in postNode($0, $1) },
            Route(.delete, "/v1/nodes/{path...}", .write, node) { [self] in deleteNode($0, $1) },
        ]
    }

    /// PUT: set the data, creating the node when absent (`?parents=true` creates ancestors).
    /// `If-Match: <etag>` and `?version=N` are compare-and-set; `If-None-Match: *` create-only.
    func putNode(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let path: ZNodePath
        do { path = try request.nodePath() } catch { return .response(error.problem()) }
        let body: WriteBody
        let version: Int64?
        let parents: Bool
        do {
            body = try WriteBody.parse(request, allowCreateFields: false)
            version = try request.integer("version", in: -1...Int64(Int32.max))
            parents = try request.flag("parents")
        } catch {
            return .response(error.response)
        }
        let ifMatch: (wildcard: Bool, tags: [String])?
        let ifNoneMatch: (wildcard: Bool, tags: [String])?
        do {
            ifMatch = try request.headers["If-Match"].map { (v) throws(BadRequest) in try ETagList.parse(v, header: "If-Match") }
            ifNoneMatch = try request.headers["If-None-Match"].map { (v) throws(BadRequest) in try ETagList.parse(v, header: "If-None-Match") }
        } catch {
            return .response(error.response)
        }
        let createOnly = ifNoneMatch?.wildcard == true
        let state = state(context)
        let ancestorsAllowed = parents ? writePermission(state) : nil
        let current = currentRead(WaitKey(path: path, children: false), state: state, atLeast: 0)
        return answerWrite(request, context) { [self] in
            if createOnly {
                return await create(path, data: body.data, mode: .persistent, parents: parents, status: .created,
                    existsIs: .preconditionFailed, ancestorsAllowed: ancestorsAllowed)
            }
            // A remote backend answers `currentRead` only for nodes it has cached: a condition
            // on the ETag needs the node's state, so it is read here.
            var current = current
            if current == nil, ifMatch != nil || ifNoneMatch?.tags.isEmpty == false {
                do throws(CoordinationError) { current = try await backend.read(path, children: false) } catch {
                    return error.problem()
                }
            }
            let currentTag = current?.node.map { NodeRepresentation.etag($0.stat, children: false) }
            if let tags = ifNoneMatch?.tags, let currentTag, tags.contains(currentTag) {
                return .problem(.preconditionFailed, type: "etag-mismatch",
                    detail: "If-None-Match names the node's current ETag \(currentTag).")
            }
            if let ifMatch {
                // Compare-and-set on the ETag: the write carries the version the ETag named.
                // `*` matches any existing node (RFC 9110 §13.1.1).
                guard let node = current?.node, let currentTag, ifMatch.wildcard || ifMatch.tags.contains(currentTag) else {
                    return .problem(.preconditionFailed, type: "etag-mismatch",
                        detail: "If-Match does not name the node's current ETag.")
                }
                return await set(path, data: body.data, version: node.stat.version)
            }
            if let version { return await set(path, data: body.data, version: Int32(version)) }
            // Upsert: whichever of set and create the read suggests, then the other once if a
            // concurrent writer got there first.
            if current?.node != nil {
                let response = await set(path, data: body.data, version: Operation.anyVersion)
                if response.status != .notFound { return response }
            }
            switch await commitCreate(path, data: body.data, mode: .persistent, ttlMs: nil, session: nil, parents: parents,
                ancestorsAllowed: ancestorsAllowed)
            {
            case .success(let (actual, stat, zxid)):
                return NodeRepresentation.response(
                    NodeSnapshot(path: actual, data: body.data, stat: stat), index: zxid,
                    view: NodeView(children: false, encoding: nil, raw: false), status: .created,
                    extraHeaders: ["Location": "/v1/nodes" + actual.string])
            case .failure(let failure):
                // Created by someone else meanwhile: set it instead. Any other failure stands.
                if case .nodeExists(let p) = failure.error, p == path {
                    return await set(path, data: body.data, version: Operation.anyVersion)
                }
                return Self.singleProblem(failure)
            }
        }
    }

    /// POST: create with a mode (sequential modes append the counter to the path).
    func postNode(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let body: WriteBody
        let parents: Bool
        do {
            body = try WriteBody.parse(request, allowCreateFields: true)
            parents = try request.flag("parents")
        } catch {
            return .response(error.response)
        }
        let mode = body.mode ?? .persistent
        let path: ZNodePath
        do { path = try request.nodePath(sequential: mode.isSequential) } catch { return .response(error.problem()) }
        if mode.isEphemeral && body.session == nil {
            return .response(BadRequest(field: "session", detail: "\(mode.rawValue) nodes need a session.").response)
        }
        if mode.isTTL != (body.ttlMs != nil) {
            return .response(BadRequest(field: "ttl", detail: "ttl is required for ttl modes and allowed only for them.").response)
        }
        let ancestorsAllowed = parents ? writePermission(state(context)) : nil
        return answerWrite(request, context) { [self] in
            await create(path, data: body.data, mode: mode, ttlMs: body.ttlMs, session: body.session, parents: parents,
                status: .created, ancestorsAllowed: ancestorsAllowed)
        }
    }

    /// DELETE: `?version=N` checks the version; `?recursive=true` deletes the subtree in one
    /// transaction.
    func deleteNode(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let path: ZNodePath
        do { path = try request.nodePath() } catch { return .response(error.problem()) }
        let version: Int64?
        let recursive: Bool
        do {
            version = try request.integer("version", in: -1...Int64(Int32.max))
            recursive = try request.flag("recursive")
        } catch {
            return .response(error.response)
        }
        return answerWrite(request, context) { [self] in
            for _ in 0..<3 {
                var operations: [Operation] = [.delete(path: path, version: Int32(version ?? -1))]
                if recursive {
                    guard let below = await subtree(path) else {
                        return .problem(.badRequest, type: "subtree-too-large",
                            detail: "A recursive delete takes at most \(Self.maxRecursiveDelete) nodes.")
                    }
                    operations = below.map { .delete(path: $0, version: Operation.anyVersion) } + operations
                }
                do throws(MultiFailure) {
                    let (_, zxid) = try await commitFenced(operations, session: nil)
                    return HTTPResponse(status: .noContent, headers: ["Zkgate-Index": String(zxid)])
                } catch {
                    // A child created meanwhile: list the subtree again.
                    if recursive, case .notEmpty = error.error { continue }
                    return Self.singleProblem(error)
                }
            }
            return CoordinationError.notEmpty(path).problem()
        }
    }

    static let maxRecursiveDelete = 10_000

    /// The descendants of `path`, deepest first, or nil when there are too many. A node that
    /// cannot be read is left out; the delete that follows then fails on it and is retried.
    func subtree(_ path: ZNodePath) async -> [ZNodePath]? {
        var result: [ZNodePath] = []
        var stack = [path]
        while let next = stack.popLast() {
            guard let read = try? await readAny(next, children: true), let children = read.node?.children else { continue }
            for name in children {
                guard let child = try? next.appending(name) else { continue }
                result.append(child)
                stack.append(child)
                if result.count > Self.maxRecursiveDelete { return nil }
            }
        }
        return result.sorted { $0.depth > $1.depth }
    }

    func set(_ path: ZNodePath, data: [UInt8], version: Int32) async -> HTTPResponse {
        do throws(MultiFailure) {
            let (results, zxid) = try await commitFenced([.setData(path: path, data: data, version: version)], session: nil)
            guard case .setData(let stat) = results.first else { return Self.unexpected() }
            return NodeRepresentation.response(NodeSnapshot(path: path, data: data, stat: stat), index: zxid,
                view: NodeView(children: false, encoding: nil, raw: false))
        } catch {
            return Self.singleProblem(error)
        }
    }

    func create(
        _ path: ZNodePath, data: [UInt8], mode: CreateMode, ttlMs: Int64? = nil, session: Int64? = nil,
        parents: Bool, status: HTTPStatus, existsIs: HTTPStatus? = nil, ancestorsAllowed: (@Sendable (ZNodePath) -> Bool)? = nil
    ) async -> HTTPResponse {
        switch await commitCreate(
            path, data: data, mode: mode, ttlMs: ttlMs, session: session, parents: parents, ancestorsAllowed: ancestorsAllowed)
        {
        case .success(let (actual, stat, zxid)):
            return NodeRepresentation.response(
                NodeSnapshot(path: actual, data: data, stat: stat, type: Self.type(of: mode, ttlMs: ttlMs, session: session)),
                index: zxid, view: NodeView(children: false, encoding: nil, raw: false), status: status,
                extraHeaders: ["Location": "/v1/nodes" + actual.string])
        case .failure(let failure):
            if let existsIs, case .nodeExists(let p) = failure.error, p == path {
                return .problem(existsIs, type: "node-exists", detail: failure.error.message)
            }
            return Self.singleProblem(failure)
        }
    }

    /// Creates the node (and with `parents` its missing ancestors, in the same transaction).
    /// An ancestor created by someone else meanwhile is not a failure: the ancestors are listed
    /// again and the create retried.
    ///
    /// - Parameter ancestorsAllowed: under an access policy, whether the principal may create
    ///   a missing ancestor: the request was decided on its own path only, and an ancestor it
    ///   would make is refused (403) when no grant lets it write there.
    func commitCreate(
        _ path: ZNodePath, data: [UInt8], mode: CreateMode, ttlMs: Int64?, session: Int64?, parents: Bool,
        ancestorsAllowed: (@Sendable (ZNodePath) -> Bool)? = nil
    ) async -> Result<(ZNodePath, Stat, Int64), MultiFailure> {
        var last = MultiFailure(index: -1, error: .unavailable("no attempt"))
        // Missing ancestors, top down. Reads show durable state, which can lag writes already
        // accepted, so a retry drops the ancestors a failure proved to exist rather than
        // reading again.
        var missing: [ZNodePath] = []
        if parents {
            var ancestor = path.parent
            while let a = ancestor, !a.isRoot, (try? await readAny(a, children: false))?.node == nil {
                missing.insert(a, at: 0)
                ancestor = a.parent
            }
            if let ancestorsAllowed, let i = missing.firstIndex(where: { !ancestorsAllowed($0) }) {
                return .failure(MultiFailure(index: i, error: .notAuthorized(missing[i])))
            }
        }
        for _ in 0...missing.count {
            var operations: [Operation] = missing.map { .create(path: $0, data: [], mode: .persistent) }
            operations.append(.create(path: path, data: data, mode: mode, ttlMs: ttlMs))
            do throws(MultiFailure) {
                let (results, zxid) = try await commitFenced(operations, session: session)
                guard case .created(let actual, let stat) = results.last else {
                    return .failure(MultiFailure(index: -1, error: .unavailable("unexpected result")))
                }
                return .success((actual, stat, zxid))
            } catch {
                last = error
                guard parents, error.index >= 0, error.index < missing.count, case .nodeExists = error.error else {
                    return .failure(error)
                }
                missing.removeFirst(error.index + 1)
            }
        }
        return .failure(last)
    }

    /// The kind of node a create makes, for answers (the stat alone cannot tell containers
    /// and TTL nodes from persistent ones).
    static func type(of mode: CreateMode, ttlMs: Int64?, session: Int64?) -> EphemeralType {
        switch mode {
        case .ephemeral, .ephemeralSequential: .session(session ?? 0)
        case .container: .container
        case .ttl, .ttlSequential: .ttl(ttlMs ?? 0)
        case .persistent, .persistentSequential: .persistent
        }
    }

    /// A one-request write's failure is that operation's error, without multi details.
    static func singleProblem(_ failure: MultiFailure) -> HTTPResponse {
        fencedProblem(failure) ?? failure.error.problem()
    }

    static func unexpected() -> HTTPResponse {
        .problem(.internalServerError, type: "internal", detail: "The backend answered with an unexpected result.")
    }
}
