import Coordination
import Testing

/// The change feed (`setChangeSink`): the events ZooKeeper's DataTree fires, in zxid order.
/// What every batch must satisfy (order, one delivery at a time, delivered only once durable)
/// is checked by `ChangeRecorder` for every test; these tests check the events themselves.
@Suite("Conformance: change feed")
struct WatchConformanceTests {
    @Test("create, setData and delete fire the node's and the parent's events at the write's zxid",
          arguments: ConformanceBackends.all)
    func eventsPerOperation(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "watch-operations") { h in
            let x = try h.path("x")
            let y = try h.path("x/y")
            let steps: [(String, () async throws -> Int64, [String])] = [
                ("create x", { try await h.create(x, "1").zxid }, ["created x", "childrenChanged ."]),
                ("set x", { try await h.setData(x, "2").zxid }, ["dataChanged x"]),
                ("create x/y", { try await h.create(y).zxid }, ["created x/y", "childrenChanged x"]),
                ("set x/y", { try await h.setData(y, "", version: 0).zxid }, ["dataChanged x/y"]),
                ("delete x/y", { try await h.delete(y) }, ["deleted x/y", "childrenChanged x"]),
                ("delete x", { try await h.delete(x) }, ["deleted x", "childrenChanged ."]),
            ]
            var previous = try await h.stat(h.base).czxid
            for (name, step, expected) in steps {
                let zxid = try await step()
                #expect(zxid > previous, "\(name): zxids increase")
                let events = await h.events(from: zxid, through: zxid)
                #expect(describe(events, base: h.base) == expected, "\(name)")
                // Nothing else fired between the previous step and this one.
                let between = await h.events(from: previous + 1, through: zxid)
                #expect(between == events, "\(name)")
                previous = zxid
            }
        }
    }

    @Test("concurrent commits: every commit's events arrive once, in zxid order", arguments: ConformanceBackends.all)
    func concurrentOrder(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "watch-order") { h in
            let count = 40
            let start = try await h.create(try h.path("start")).zxid
            let commits = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
                for i in 0..<count {
                    group.addTask {
                        let path = try h.path("n\(i)")
                        let zxid = i % 2 == 0
                            ? try await h.create(path, "\(i)").zxid
                            : try await h.commit([
                                .create(path: path, data: [], mode: .persistent),
                                .setData(path: path, data: bytes("\(i)"), version: 0),
                            ]).zxid
                        return (i, zxid)
                    }
                }
                var commits: [Int: Int64] = [:]
                for try await (i, zxid) in group { commits[i] = zxid }
                return commits
            }
            #expect(Set(commits.values).count == count, "every commit has its own zxid")
            let last = commits.values.max()!
            let events = await h.events(from: start + 1, through: last)
            #expect(events.map(\.zxid) == events.map(\.zxid).sorted(), "events arrive in zxid order")
            for (i, zxid) in commits {
                let mine = events.filter { $0.zxid == zxid }
                let expected = i % 2 == 0
                    ? ["created n\(i)", "childrenChanged ."]
                    : ["created n\(i)", "childrenChanged .", "dataChanged n\(i)"]
                #expect(describe(mine, base: h.base) == expected, "commit \(i) at \(zxid)")
            }
            #expect(events.count == count / 2 * 2 + count / 2 * 3, "no event twice, none extra")
            // Every commit is readable at an index no earlier than its zxid.
            for (i, zxid) in commits {
                let read = try await h.read(try h.path("n\(i)"))
                #expect(read.index >= zxid)
                #expect(read.node?.data == bytes("\(i)"))
            }
        }
    }

    @Test("a commit returns only after its own change batch reached the sink, cached node or not",
          arguments: ConformanceBackends.all)
    func batchBeforeAnswer(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "watch-before-answer") { h in
            let cached = try h.path("cached")
            try await h.create(cached, "0")
            _ = try await h.read(cached)
            let session = try await h.openSession()
            // Every kind of commit, each checked the moment it returns: a client that reads
            // right after a write's answer must find the caches the write made stale dropped.
            func delivered(_ name: String, _ zxid: Int64) {
                #expect(h.changes.lastZxid >= zxid, "\(name): batch \(zxid) not delivered when its commit returned")
            }
            var cacheHits = 0
            for round in 0..<20 {
                let set = try await h.setData(cached, "\(round)")
                delivered("set cached", set.zxid)
                // What readers are served right after the answer is the write itself, from a
                // backend's cache (when it has the node) as from a read.
                if let now = h.backend.readNow(cached, children: false) {
                    cacheHits += 1
                    #expect(now.node?.data == bytes("\(round)"), "round \(round)")
                    #expect(now.node?.stat == set.stat, "round \(round)")
                }
                let seen = try await h.read(cached)
                #expect(seen.node?.data == bytes("\(round)"))
                #expect(seen.node?.stat == set.stat)
                #expect(seen.index >= set.zxid)
                delivered("create", try await h.create(try h.path("n\(round)")).zxid)
                delivered("multi", try await h.commit([
                    .setData(path: cached, data: bytes("m\(round)"), version: -1),
                    .create(path: try h.path("m\(round)"), data: [], mode: .persistent),
                ]).zxid)
                delivered("ephemeral", try await h.commit(
                    [.create(path: try h.path("e\(round)"), data: [], mode: .ephemeral)], session: session.id).zxid)
                delivered("delete", try await h.delete(try h.path("n\(round)")))
            }
            // The check above ran. How often depends on load: a read older than a batch the
            // feed delivered meanwhile (labelled by a sync, under other clients' writes) is
            // not cached.
            #expect(cacheHits >= 1, "\(cacheHits) of 20 rounds found the node cached")
            try await h.backend.closeSession(session.id)
        }
    }

    @Test("concurrent commits each return after their own batch", arguments: ConformanceBackends.all)
    func concurrentBatchBeforeAnswer(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "watch-before-answer-concurrent") { h in
            let late = try await withThrowingTaskGroup(of: Int64?.self) { group in
                for i in 0..<32 {
                    group.addTask {
                        let zxid = try await h.create(try h.path("c\(i)"), "\(i)").zxid
                        return h.changes.lastZxid >= zxid ? nil : zxid
                    }
                }
                var late: [Int64] = []
                for try await zxid in group { if let zxid { late.append(zxid) } }
                return late
            }
            #expect(late.isEmpty, "commits answered before their batch: \(late)")
        }
    }
}
