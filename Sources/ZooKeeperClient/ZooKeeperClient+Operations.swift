extension ZooKeeperClient {
    /// Creates a node and returns its path (with the sequence suffix for sequential modes)
    /// and stat. Containers use createContainer, TTL modes createTTL (`ttlMs` required,
    /// 1…2^40-1; the ensemble must run with extendedTypesEnabled), the rest create2.
    ///
    /// - Throws: `.server(.nodeExists)`, `.server(.noNode)` (no parent),
    ///   `.server(.noChildrenForEphemerals)`, `.server(.unimplemented)` (TTL disabled),
    ///   `.server(.badArguments)`, and the connection errors.
    public func create(_ path: String, data: [UInt8], mode: CreateMode = .persistent,
                       acl: [ACL] = ACL.openACLUnsafe, ttlMs: Int64? = nil)
        async throws(ZooKeeperError) -> (path: String, stat: Stat)
    {
        let reply: SessionMachine.Reply
        switch mode {
        case .persistentWithTTL, .persistentSequentialWithTTL:
            guard let ttlMs else { throw .server(.badArguments) }
            reply = try await call(.createTTL, CreateTTLRequest(
                path: serverPath(path), data: data, acl: acl, flags: mode.rawValue, ttl: ttlMs))
        default:
            reply = try await call(mode.opCode, CreateRequest(path: serverPath(path), data: data, acl: acl, mode: mode))
        }
        let response: Create2Response = try decode(reply)
        return (clientPath(response.path), response.stat)
    }

    /// Deletes a node; `version` -1 matches any.
    ///
    /// - Throws: `.server(.noNode)`, `.server(.badVersion)`, `.server(.notEmpty)`.
    public func delete(_ path: String, version: Int32 = -1) async throws(ZooKeeperError) {
        _ = try await call(.delete, DeleteRequest(path: serverPath(path), version: version))
    }

    /// The node's stat, or nil when it does not exist. With `watch`, a one-shot watch is left
    /// for its change, deletion or (when absent) creation.
    public func exists(_ path: String, watch: Bool = false) async throws(ZooKeeperError) -> Stat? {
        let server = serverPath(path)
        do {
            let reply = try await call(.exists, ExistsRequest(path: server, watch: watch), watch: watch ? .data(server) : nil)
            let response: ExistsResponse = try decode(reply)
            return response.stat
        } catch .server(.noNode) {
            return nil
        }
    }

    /// The node's data and stat, and the zxid of the member's state they were read from (the
    /// reply's zxid, as for `multiRead`). With `watch`, a one-shot data watch.
    ///
    /// - Throws: `.server(.noNode)`.
    public func getData(_ path: String, watch: Bool = false) async throws(ZooKeeperError)
        -> (data: [UInt8], stat: Stat, zxid: Int64)
    {
        let server = serverPath(path)
        let reply = try await call(.getData, GetDataRequest(path: server, watch: watch), watch: watch ? .data(server) : nil)
        let response: GetDataResponse = try decode(reply)
        return (response.data ?? [], response.stat, reply.zxid)
    }

    /// Sets the node's data if `version` matches (-1 matches any) and returns the new stat.
    ///
    /// - Throws: `.server(.noNode)`, `.server(.badVersion)`.
    public func setData(_ path: String, data: [UInt8], version: Int32 = -1) async throws(ZooKeeperError) -> Stat {
        let reply = try await call(.setData, SetDataRequest(path: serverPath(path), data: data, version: version))
        let response: SetDataResponse = try decode(reply)
        return response.stat
    }

    /// The node's child names (unsorted, as the server gives them) and its stat. With
    /// `watch`, a one-shot child watch.
    ///
    /// - Throws: `.server(.noNode)`.
    public func getChildren(_ path: String, watch: Bool = false) async throws(ZooKeeperError) -> (children: [String], stat: Stat) {
        let server = serverPath(path)
        let reply = try await call(.getChildren2, GetChildren2Request(path: server, watch: watch), watch: watch ? .child(server) : nil)
        let response: GetChildren2Response = try decode(reply)
        return (response.children, response.stat)
    }

    /// Runs operations atomically. A failed multi is not thrown: the results carry 0 for the
    /// operations before the failing one, its error code, and -2 after it
    /// (`MultiResponse.failure` finds it). The reply's zxid is returned with the results.
    public func multi(_ ops: [MultiOp]) async throws(ZooKeeperError) -> (results: [MultiResult], zxid: Int64) {
        let reply = try await call(.multi, MultiRequest(ops: ops.map(serverOp)))
        let response: MultiResponse = try decode(reply)
        return (response.results.map(clientResult), reply.zxid)
    }

    /// Reads several nodes from one state of the member's tree (ZooKeeper 3.6+). Each read
    /// succeeds or fails on its own. Returns the results and the zxid of the state they
    /// reflect, which is exactly what an index for later long-polls must be.
    public func multiRead(_ ops: [ReadOp]) async throws(ZooKeeperError) -> (results: [ReadOpResult], zxid: Int64) {
        let serverOps = ops.map { op -> ReadOp in
            switch op {
            case .getData(let p): .getData(serverPath(p))
            case .getChildren(let p): .getChildren(serverPath(p))
            }
        }
        let reply = try await call(.multiRead, MultiReadRequest(ops: serverOps))
        let response: MultiReadResponse = try decode(reply)
        return (response.results, reply.zxid)
    }

    /// Waits until the member this client talks to has every write the leader committed
    /// before the call; returns the zxid the reply carries.
    public func sync(_ path: String) async throws(ZooKeeperError) -> Int64 {
        let reply = try await call(.sync, SyncRequest(path: serverPath(path)))
        return reply.zxid
    }

    /// Adds a persistent watch (recursive or not). It fires on every change until removed and
    /// is restored after reconnects, but events missed while disconnected are not replayed:
    /// re-read what it covers on every `.connected` state.
    public func addWatch(_ path: String, mode: AddWatchMode) async throws(ZooKeeperError) {
        let server = serverPath(path)
        _ = try await call(.addWatch, AddWatchRequest(path: server, mode: mode),
                           watch: mode == .persistent ? .persistent(server) : .persistentRecursive(server))
    }

    /// Removes this session's watches of `type` on `path`.
    ///
    /// - Throws: `.server(.noWatcher)` when there is none.
    public func removeWatches(_ path: String, type: WatcherType) async throws(ZooKeeperError) {
        let server = serverPath(path)
        _ = try await call(.removeWatches, RemoveWatchesRequest(path: server, type: type), watch: .remove(server, type))
    }

    /// Adds credentials (`digest`, `user:password`) for this session; they are re-sent after
    /// every reconnect.
    ///
    /// - Throws: `.authFailed` when refused; the session is then over.
    public func addAuth(scheme: String, auth: [UInt8]) async throws(ZooKeeperError) {
        let id = ids.wrappingAdd(1, ordering: .relaxed).oldValue
        let driver = self.driver
        let packet = AuthPacket(scheme: scheme, auth: auth)
        let result = await withUnsafeContinuation { (c: ClientDriver.Completion) in
            onLoop(else: { c.resume(returning: .failure(.closed)) }) {
                driver.completions[id] = c
                driver.perform(driver.machine.addAuth(packet, id: id, now: driver.now))
            }
        }
        _ = try result.get()
    }

    func decode<R: JuteRecord>(_ reply: SessionMachine.Reply) throws(ZooKeeperError) -> R {
        do {
            return try R.decode(Array(reply.body))
        } catch {
            throw .protocolError("cannot decode \(R.self): \(error)")
        }
    }
}
