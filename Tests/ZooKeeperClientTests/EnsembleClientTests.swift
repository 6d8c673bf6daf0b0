import Foundation
import Reactor
import Testing
import ZooKeeperClient

/// The client against the real 3-node ensemble (deploy/zk-ensemble.sh).
@Suite(.enabled(if: Ensemble.available, "needs ZKGATE_TEST_ZOOKEEPER: run through scripts/test.sh"))
struct EnsembleClientTests {
    @Test func createReadUpdateDeleteWithStats() async throws {
        let zk = try await Ensemble.client()
        let root = Ensemble.uniquePath("crud")
        let (path, created) = try await zk.create(root, data: Array("v1".utf8))
        #expect(path == root)
        #expect(created.version == 0 && created.dataLength == 2 && created.czxid == created.mzxid)
        let (data, stat, readZxid) = try await zk.getData(root)
        #expect(data == Array("v1".utf8) && stat == created)
        let updated = try await zk.setData(root, data: Array("v2".utf8), version: 0)
        #expect(updated.version == 1 && updated.mzxid > created.mzxid && updated.czxid == created.czxid)
        // The zxid of the state read: at least the create it saw, before the set it did not.
        #expect(readZxid >= created.mzxid && readZxid < updated.mzxid)
        #expect(try await zk.getData(root).zxid >= updated.mzxid)
        await #expect(throws: ZooKeeperError.server(.badVersion)) { try await zk.setData(root, data: [], version: 0) }
        await #expect(throws: ZooKeeperError.server(.nodeExists)) { try await zk.create(root, data: []) }
        await #expect(throws: ZooKeeperError.server(.noNode)) { try await zk.create(root + "/a/b", data: []) }
        _ = try await zk.create(root + "/child", data: [])
        await #expect(throws: ZooKeeperError.server(.notEmpty)) { try await zk.delete(root) }
        let (children, parent) = try await zk.getChildren(root)
        #expect(children == ["child"] && parent.numChildren == 1 && parent.cversion == 1)
        try await zk.delete(root + "/child")
        try await zk.delete(root, version: 1)
        #expect(try await zk.exists(root) == nil)
        await #expect(throws: ZooKeeperError.server(.noNode)) { try await zk.getData(root) }
        await zk.close()
    }

    /// As `zkgate serve` runs it: on a loop it shares. Closing ends the session but leaves the
    /// loop running, and later calls fail at once, even once the loop has stopped.
    @Test func aClientOnASharedLoopClosesWithoutStoppingIt() async throws {
        let group = try EventLoopGroup(count: 1, name: "test-shared")
        defer { group.stop() }
        let config = try ZooKeeperClient.Configuration(Ensemble.connectString!, sessionTimeoutMs: 10_000)
        let zk = try ZooKeeperClient(configuration: config, loop: group.loops[0])
        try await zk.waitUntilConnected(timeoutMs: 20_000)
        let root = Ensemble.uniquePath("shared")
        _ = try await zk.create(root, data: [], mode: .ephemeral)
        await zk.close()
        let other = try await Ensemble.client()
        #expect(try await other.exists(root) == nil, "the session ended: its ephemeral is gone")
        await other.close()
        let ran = DispatchSemaphore(value: 0)
        group.loops[0].execute { ran.signal() }
        #expect(ran.wait(timeout: .now() + 5) == .success, "the shared loop still runs")
        group.stop()
        await #expect(throws: ZooKeeperError.closed) { try await zk.getData("/") }
    }

    /// Members named "localhost": the system resolver runs off the loop, and the session
    /// works as with numeric addresses.
    @Test func membersNamedByHostNames() async throws {
        let named = Ensemble.connectString!.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        #expect(named.contains("localhost"))
        let zk = try ZooKeeperClient(configuration: .init(named, sessionTimeoutMs: 10_000))
        try await zk.waitUntilConnected(timeoutMs: 20_000)
        #expect(zk.connectedHost?.host == "localhost")
        #expect(zk.lastConnectFailure == nil)
        let root = Ensemble.uniquePath("named")
        _ = try await zk.create(root, data: Array("n".utf8), mode: .ephemeral)
        #expect(try await zk.getData(root).data == Array("n".utf8))
        await zk.close()
    }

    @Test func sequentialContainerTTLAndEphemeralModes() async throws {
        let zk = try await Ensemble.client()
        let root = Ensemble.uniquePath("modes")
        _ = try await zk.create(root, data: [])
        let (first, _) = try await zk.create(root + "/job-", data: [], mode: .persistentSequential)
        let (second, _) = try await zk.create(root + "/job-", data: [], mode: .persistentSequential)
        #expect(first == root + "/job-0000000000" && second == root + "/job-0000000001")
        let (_, container) = try await zk.create(root + "/box", data: [], mode: .container)
        #expect(container.ephemeralOwner == 0)
        let (_, ttl) = try await zk.create(root + "/lease", data: [], mode: .persistentWithTTL, ttlMs: 60_000)
        #expect(ttl.ephemeralOwner == 0, "TTL nodes show owner 0 to clients")
        let (_, eph) = try await zk.create(root + "/me", data: [], mode: .ephemeral)
        #expect(eph.ephemeralOwner == zk.sessionId)
        await #expect(throws: ZooKeeperError.server(.noChildrenForEphemerals)) {
            try await zk.create(root + "/me/x", data: [])
        }
        let other = try await Ensemble.client()
        #expect(try await other.exists(root + "/me") != nil)
        await zk.close()
        // Closing the session deletes its ephemerals at once; another member may lag behind
        // the leader, so sync before reading (ZooKeeper's reads are sequentially consistent).
        _ = try await other.sync(root)
        #expect(try await other.exists(root + "/me") == nil)
        await Ensemble.deleteTree(other, root)
        await other.close()
    }

    @Test func multiIsAtomicAndNamesTheFailingOperation() async throws {
        let zk = try await Ensemble.client()
        let root = Ensemble.uniquePath("multi")
        _ = try await zk.create(root, data: [])
        let (ok, zxid) = try await zk.multi([
            .create2(CreateRequest(path: root + "/a", data: [1], mode: .persistent)),
            .setData(SetDataRequest(path: root, data: [2], version: 0)),
            .check(CheckVersionRequest(path: root, version: 1)),
        ])
        #expect(ok.count == 3)
        // ZooKeeper 3.8 answers a create2 inside a multi as a plain create: the path, no stat.
        #expect(ok[0] == .create(path: root + "/a"))
        #expect(try await zk.exists(root + "/a")?.czxid == zxid, "the reply's zxid is the multi's")
        let (failed, _) = try await zk.multi([
            .create(CreateRequest(path: root + "/b", data: [], mode: .persistent)),
            .delete(DeleteRequest(path: root + "/missing", version: -1)),
            .setData(SetDataRequest(path: root, data: [3], version: -1)),
        ])
        #expect(MultiResponse(results: failed).failure?.index == 1)
        #expect(MultiResponse(results: failed).failure?.code == .noNode)
        #expect(try await zk.exists(root + "/b") == nil, "nothing of a failed multi is applied")
        #expect(try await zk.getData(root).data == [2])
        await Ensemble.deleteTree(zk, root)
        await zk.close()
    }

    @Test func oneShotAndPersistentRecursiveWatchesFire() async throws {
        let zk = try await Ensemble.client()
        let writer = try await Ensemble.client()
        let root = Ensemble.uniquePath("watch")
        _ = try await zk.create(root, data: [])
        let events = zk.events()
        _ = try await zk.getData(root, watch: true)
        _ = try await writer.setData(root, data: [1])
        let changed = await ZooKeeperClient.firstEvent(events) { $0 == .watch(.init(type: .nodeDataChanged, state: .syncConnected, path: root)) }
        #expect(changed != nil)
        try await zk.addWatch(root, mode: .persistentRecursive)
        _ = try await writer.create(root + "/deep", data: [])
        _ = try await writer.create(root + "/deep/er", data: [])
        let deeper = await ZooKeeperClient.firstEvent(events) { $0 == .watch(.init(type: .nodeCreated, state: .syncConnected, path: root + "/deep/er")) }
        #expect(deeper != nil)
        try await zk.removeWatches(root, type: .any)
        await #expect(throws: ZooKeeperError.server(.noWatcher)) { try await zk.removeWatches(root, type: .any) }
        await Ensemble.deleteTree(writer, root)
        await zk.close()
        await writer.close()
    }

    @Test func chrootHidesThePrefixBothWays() async throws {
        let plain = try await Ensemble.client()
        let root = Ensemble.uniquePath("chroot")
        _ = try await plain.create(root, data: [])
        let rooted = try await Ensemble.client(chroot: root)
        let (path, _) = try await rooted.create("/seq-", data: [], mode: .persistentSequential)
        #expect(path == "/seq-0000000000")
        #expect(try await plain.exists(root + "/seq-0000000000") != nil)
        #expect(try await rooted.getChildren("/").children == ["seq-0000000000"])
        let events = rooted.events()
        try await rooted.addWatch("/", mode: .persistentRecursive)
        _ = try await plain.setData(root + "/seq-0000000000", data: [9])
        let seen = await ZooKeeperClient.firstEvent(events) { if case .watch = $0 { true } else { false } }
        #expect(seen == .watch(.init(type: .nodeDataChanged, state: .syncConnected, path: "/seq-0000000000")))
        await rooted.close()
        await Ensemble.deleteTree(plain, root)
        await plain.close()
    }

    @Test func aThousandPipelinedRequestsAllComplete() async throws {
        let zk = try await Ensemble.client()
        let root = Ensemble.uniquePath("pipe")
        _ = try await zk.create(root, data: Array("x".utf8))
        let lengths = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<1_000 { group.addTask { try await zk.getData(root).stat.dataLength } }
            return try await group.reduce(into: [Int32]()) { $0.append($1) }
        }
        #expect(lengths.count == 1_000 && lengths.allSatisfy { $0 == 1 })
        try await zk.delete(root)
        await zk.close()
    }

    @Test func multiReadGivesDataStatAndChildrenFromOneState() async throws {
        let zk = try await Ensemble.client()
        let root = Ensemble.uniquePath("multiread")
        _ = try await zk.create(root, data: Array("d".utf8))
        let (_, childStat) = try await zk.create(root + "/c", data: [])
        let (results, zxid) = try await zk.multiRead([.getData(root), .getChildren(root), .getData(root + "/missing")])
        #expect(results.count == 3)
        guard case .data(let data, let stat) = results[0] else { Issue.record("\(results)"); return }
        #expect(data == Array("d".utf8) && stat.numChildren == 1 && stat.pzxid == childStat.czxid)
        #expect(results[1] == .children(["c"]))
        #expect(results[2] == .error(.noNode))
        #expect(zxid >= childStat.czxid, "the reply's zxid covers the state read")
        await Ensemble.deleteTree(zk, root)
        await zk.close()
    }

    @Test func digestAuthAndTheAuthACL() async throws {
        let owner = try await Ensemble.client()
        try await owner.addAuth(scheme: "digest", auth: Array("app:secret".utf8))
        let path = Ensemble.uniquePath("auth")
        // "auth" grants the creating session's authenticated ids: here digest app:secret.
        _ = try await owner.create(path, data: Array("private".utf8), acl: [ACL(perms: .all, id: Id(scheme: "auth", id: ""))])
        let stranger = try await Ensemble.client()
        _ = try await stranger.sync(path)
        await #expect(throws: ZooKeeperError.server(.noAuth)) { try await stranger.getData(path) }
        let friend = try await Ensemble.client()
        try await friend.addAuth(scheme: "digest", auth: Array("app:secret".utf8))
        _ = try await friend.sync(path)
        #expect(try await friend.getData(path).data == Array("private".utf8))
        try await owner.delete(path)
        await owner.close(); await stranger.close(); await friend.close()
    }

    @Test func limitsAndClose() async throws {
        let zk = try await Ensemble.client()
        await #expect(throws: ZooKeeperError.packetTooLarge(1_048_642, limit: 0xfffff)) {
            try await zk.setData("/zkgate-too-large-node", data: [UInt8](repeating: 0, count: 1_048_600))
        }
        await zk.close()
        await #expect(throws: ZooKeeperError.closed) { try await zk.exists("/") }
    }

    /// Every write gets a zxid above all earlier ones (the leader's epoch in the high 32 bits,
    /// a counter below), the stats carry it (czxid, mzxid, the parent's pzxid), and a sync makes
    /// another session's member catch up: its zxid, and what it then reads, cover the writes.
    @Test func writeZxidsGrowAndSyncCoversThem() async throws {
        let zk = try await Ensemble.client()
        let root = Ensemble.uniquePath("zxids")
        let (_, created) = try await zk.create(root, data: Array("v1".utf8))
        #expect(created.czxid > 0 && created.czxid >> 32 >= 1, "an elected leader's epoch is at least 1")
        #expect(created.mzxid == created.czxid && created.pzxid == created.czxid)

        let (results, setZxid) = try await zk.multi([.setData(SetDataRequest(path: root, data: Array("v2".utf8), version: 0))])
        #expect(setZxid > created.czxid, "a later write has a greater zxid")
        guard case .setData(let updated) = results.first else { Issue.record("\(results)"); return }
        #expect(updated.mzxid == setZxid && updated.czxid == created.czxid, "the stat carries the write's zxid")

        let (_, child) = try await zk.create(root + "/child", data: [])
        #expect(child.czxid > setZxid)

        // Another session, possibly on another member: after a sync it has applied every write
        // committed before it, so the sync's zxid and the state it then reads cover all three.
        let other = try await Ensemble.client()
        let synced = try await other.sync(root)
        #expect(synced >= child.czxid, "the sync's zxid \(synced) covers the last write \(child.czxid)")
        let (data, stat, readZxid) = try await other.getData(root)
        #expect(data == Array("v2".utf8))
        #expect(stat.czxid == created.czxid, "czxid read back is the create's zxid")
        #expect(stat.mzxid == setZxid, "mzxid read back is the set's zxid")
        #expect(stat.pzxid == child.czxid, "pzxid read back is the child create's zxid")
        #expect(readZxid >= synced)
        #expect(try await other.exists(root + "/child")?.czxid == child.czxid)

        await Ensemble.deleteTree(zk, root)
        await other.close()
        await zk.close()
    }
}
