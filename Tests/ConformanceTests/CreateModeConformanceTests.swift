import Coordination
import Foundation
import Testing

/// Every create mode, with the stat ZooKeeper gives the new node and its parent.
@Suite("Conformance: create modes")
struct CreateModeConformanceTests {
    /// The fields every freshly created node has, whatever its mode.
    static func expectFresh(
        _ stat: Stat, zxid: Int64, dataLength: Int32, owner: Int64,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(stat.czxid == zxid, "czxid is the create's zxid", sourceLocation: sourceLocation)
        #expect(stat.mzxid == zxid, "mzxid starts at czxid", sourceLocation: sourceLocation)
        #expect(stat.pzxid == zxid, "pzxid starts at czxid (DataTree.createStat)", sourceLocation: sourceLocation)
        #expect(stat.ctime == stat.mtime, sourceLocation: sourceLocation)
        // Server wall-clock time: within ten minutes of ours, allowing for an ensemble's skew.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(abs(stat.ctime - now) < 600_000, "ctime \(stat.ctime) is a time near now (\(now))",
                sourceLocation: sourceLocation)
        #expect(stat.version == 0, sourceLocation: sourceLocation)
        #expect(stat.cversion == 0, sourceLocation: sourceLocation)
        #expect(stat.aversion == 0, sourceLocation: sourceLocation)
        #expect(stat.ephemeralOwner == owner, sourceLocation: sourceLocation)
        #expect(stat.dataLength == dataLength, sourceLocation: sourceLocation)
        #expect(stat.numChildren == 0, sourceLocation: sourceLocation)
    }

    @Test("persistent: the new node's stat, its data, and its parent's child counters",
          arguments: ConformanceBackends.all)
    func persistent(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "create-persistent") { h in
            let before = try await h.stat(h.base)
            let path = try h.path("p")
            let (final, stat, zxid) = try await h.create(path, "hello")
            #expect(final == path, "a non-sequential create keeps its path")
            #expect(zxid > before.czxid)
            Self.expectFresh(stat, zxid: zxid, dataLength: 5, owner: 0)

            let read = try await h.read(path)
            #expect(read.node?.path == path)
            #expect(read.node?.data == bytes("hello"))
            #expect(read.node?.stat == stat, "a read returns the stat the create returned")

            let parent = try await h.stat(h.base)
            #expect(parent.numChildren == before.numChildren + 1)
            #expect(parent.cversion == before.cversion + 1)
            #expect(parent.pzxid == zxid, "a create moves the parent's pzxid to its zxid")
            #expect(parent.mzxid == before.mzxid, "a child create leaves the parent's data alone")
            #expect(parent.version == before.version)

            // Data is stored byte for byte, including bytes that are not UTF-8, and empty data.
            let binary: [UInt8] = [0, 0xFF, 0x80, 10, 13]
            let (binaryResults, _) = try await h.commit([
                .create(path: try h.path("bin"), data: binary, mode: .persistent),
                .create(path: try h.path("empty"), data: [], mode: .persistent),
            ])
            #expect(try created(binaryResults[0]).stat.dataLength == 5)
            #expect(try await h.read(try h.path("bin")).node?.data == binary)
            #expect(try await h.read(try h.path("empty")).node?.data == [])
        }
    }

    @Test("ephemeral: owned by the creating session", arguments: ConformanceBackends.all)
    func ephemeral(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "create-ephemeral") { h in
            let session = try await h.openSession()
            let path = try h.path("e")
            let (final, stat, zxid) = try await h.create(path, "x", mode: .ephemeral, session: session.id)
            #expect(final == path)
            Self.expectFresh(stat, zxid: zxid, dataLength: 1, owner: session.id)
            #expect(try await h.stat(path).ephemeralOwner == session.id)
            #expect(try await h.backend.session(session.id).ephemerals == [path])
            #expect(try await h.stat(h.base).pzxid == zxid)
            try await h.backend.closeSession(session.id)
        }
    }

    @Test("persistent_sequential: 10-digit suffix from the parent's counter, in creation order",
          arguments: ConformanceBackends.all)
    func persistentSequential(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "create-persistent-sequential") { h in
            try await h.create(try h.path("q"))
            let prefix = try h.prefix("q/job-")
            var names: [ZNodePath] = []
            var zxids: [Int64] = []
            for _ in 0..<3 {
                let (final, stat, zxid) = try await h.create(prefix, "d", mode: .persistentSequential)
                Self.expectFresh(stat, zxid: zxid, dataLength: 1, owner: 0)
                names.append(final)
                zxids.append(zxid)
            }
            #expect(names.map { sequenceNumber(of: $0, prefix: prefix) } == [0, 1, 2])
            #expect(names == names.sorted(), "names sort in creation order")
            #expect(zxids == zxids.sorted() && Set(zxids).count == 3)

            // A prefix ending in "/" names the child by the number alone.
            let bare = try h.prefix("q/")
            let (final, _, _) = try await h.create(bare, mode: .persistentSequential)
            #expect(sequenceNumber(of: final, prefix: bare) == 3)
            #expect(final.name == "0000000003")

            let q = try await h.node(try h.path("q"))
            #expect(q?.children == ["0000000003", "job-0000000000", "job-0000000001", "job-0000000002"])
            #expect(q?.stat.numChildren == 4)
            #expect(q?.stat.cversion == 4)
        }
    }

    @Test("ephemeral_sequential: suffixed and owned by the session", arguments: ConformanceBackends.all)
    func ephemeralSequential(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "create-ephemeral-sequential") { h in
            let session = try await h.openSession()
            try await h.create(try h.path("locks"))
            let prefix = try h.prefix("locks/lock-")
            var names: [ZNodePath] = []
            for _ in 0..<3 {
                let (final, stat, zxid) = try await h.create(prefix, mode: .ephemeralSequential, session: session.id)
                Self.expectFresh(stat, zxid: zxid, dataLength: 0, owner: session.id)
                names.append(final)
            }
            #expect(names.map { sequenceNumber(of: $0, prefix: prefix) } == [0, 1, 2])
            #expect(try await h.backend.session(session.id).ephemerals == names)
            try await h.backend.closeSession(session.id)
        }
    }

    @Test("container: clients see ephemeralOwner 0; removed once its last child goes, not before",
          arguments: ConformanceBackends.all)
    func container(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "create-container") { h in
            let used = try h.path("used")
            let idle = try h.path("idle")
            let busy = try h.path("busy")
            let (_, stat, zxid) = try await h.create(used, "c", mode: .container)
            Self.expectFresh(stat, zxid: zxid, dataLength: 1, owner: 0)
            try await h.create(idle, mode: .container)
            try await h.create(busy, mode: .container)
            try await h.create(try h.path("busy/child"))
            let child = try h.path("used/child")
            try await h.create(child)
            #expect(try await h.stat(used).numChildren == 1, "a container can have children")
            let session = try await h.openSession()
            #expect(try await h.backend.session(session.id).ephemerals == [], "a container belongs to no session")
            try await h.backend.closeSession(session.id)

            // Every backend the suite runs must sweep quickly enough to be waited for here.
            let within = try #require(
                h.capabilities.cleanupWithinSeconds, "\(h.factory.name) declares no cleanupWithinSeconds")
            let deleted = try await h.delete(child)
            let gone = try await h.poll(timeout: within) { try await !h.exists(used) }
            #expect(gone, "an empty container that had a child is deleted by the server")
            // The sweep that took it also saw the other two, and spared them.
            #expect(try await h.exists(idle), "a container that never had a child is kept")
            #expect(try await h.exists(busy), "a container with a child is kept")
            await h.expectEvents(after: deleted, ["deleted used", "childrenChanged ."])
        }
    }

    @Test("ttl: clients see ephemeralOwner 0; removed once idle for its TTL", arguments: ConformanceBackends.all)
    func ttl(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "create-ttl") { h in
            let long = try h.path("long")
            guard h.capabilities.supportsTTL else {
                await h.expectFailure(
                    [.create(path: long, data: [], mode: .ttl, ttlMs: 60_000)], index: 0,
                    matching: { if case .unimplemented = $0 { true } else { false } })
                return
            }
            let (_, stat, zxid) = try await h.create(long, "t", mode: .ttl, ttlMs: 3_600_000)
            Self.expectFresh(stat, zxid: zxid, dataLength: 1, owner: 0)

            let within = try #require(
                h.capabilities.cleanupWithinSeconds, "\(h.factory.name) declares no cleanupWithinSeconds")
            let parent = try h.path("parent")
            // In one transaction: a 100 ms TTL can pass between two commits on a loaded machine.
            try await h.commit([
                .create(path: parent, data: [], mode: .ttl, ttlMs: 100),
                .create(path: try h.path("parent/child"), data: [], mode: .persistent),
            ])
            let short = try h.path("short")
            let created = try await h.create(short, mode: .ttl, ttlMs: 200)
            let gone = try await h.poll(timeout: 0.2 + within) { try await !h.exists(short) }
            #expect(gone, "a TTL node idle for longer than its TTL is deleted by the server")
            #expect(try await h.exists(long), "a TTL node within its TTL is kept")
            #expect(try await h.exists(parent), "a TTL node with a child is kept")
            await h.expectEvents(after: created.zxid, ["deleted short", "childrenChanged ."])
        }
    }

    @Test("ttl_sequential: suffixed like any sequential node", arguments: ConformanceBackends.all)
    func ttlSequential(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "create-ttl-sequential") { h in
            let prefix = try h.prefix("t-")
            guard h.capabilities.supportsTTL else {
                await h.expectFailure(
                    [.create(path: prefix, data: [], mode: .ttlSequential, ttlMs: 60_000)], index: 0,
                    matching: { if case .unimplemented = $0 { true } else { false } })
                return
            }
            let first = try await h.create(prefix, mode: .ttlSequential, ttlMs: 3_600_000)
            let second = try await h.create(prefix, mode: .ttlSequential, ttlMs: 3_600_000)
            Self.expectFresh(first.stat, zxid: first.zxid, dataLength: 0, owner: 0)
            // The base path already had no children: the counter starts at 0.
            #expect(sequenceNumber(of: first.path, prefix: prefix) == 0)
            #expect(sequenceNumber(of: second.path, prefix: prefix) == 1)
        }
    }
}
