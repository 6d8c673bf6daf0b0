import Coordination
import Testing

/// Multi: all or nothing, the failing index, one zxid for everything, later operations seeing
/// earlier ones.
@Suite("Conformance: multi")
struct MultiConformanceTests {
    @Test("a failing operation at each position leaves every touched path unchanged",
          arguments: ConformanceBackends.all)
    func atomicAtEveryPosition(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "multi-atomic") { h in
            let m = try h.path("m")
            let new = try h.path("m/new")
            let d = try h.path("m/d")
            let c = try h.path("m/c")
            let missing = try h.path("m/missing")
            let seq = try h.prefix("m/seq-")
            let badSeq = try h.prefix("m/none/s-")
            try await h.create(m, "0")
            try await h.create(d)
            let setup = try await h.create(c)

            let good: [Operation] = [
                .create(path: new, data: bytes("new"), mode: .persistent),
                .setData(path: m, data: bytes("1"), version: 0),
                .delete(path: d, version: 0),
                .check(path: c, version: 0),
                .create(path: seq, data: [], mode: .persistentSequential),
            ]
            let failing: [(Operation, CoordinationError)] = [
                (.create(path: c, data: [], mode: .persistent), .nodeExists(c)),
                (.setData(path: m, data: bytes("1"), version: 3), .badVersion(m)),
                (.delete(path: missing, version: 0), .noNode(missing)),
                (.check(path: c, version: 9), .badVersion(c)),
                (.create(path: badSeq, data: [], mode: .persistentSequential), .noNode(badSeq)),
            ]
            let touched = [h.base, m, new, d, c, missing, try h.path("m/none")]
            let before = try await h.nodes(touched)
            for (index, (operation, error)) in failing.enumerated() {
                var operations = good
                operations[index] = operation
                await h.expectFailure(operations, index: index, error, "failing at \(index)")
                #expect(try await h.nodes(touched) == before, "after a multi failing at \(index)")
            }

            let (results, zxid) = try await h.commit(good)
            #expect(results.count == 5)
            let made = try created(results[0])
            #expect(made.path == new)
            #expect(made.stat.czxid == zxid, "every operation of a multi has the multi's zxid")
            guard case .setData(let setStat) = results[1] else { throw ConformanceFailure("\(results[1])") }
            #expect(setStat.mzxid == zxid)
            #expect(setStat.version == 1)
            #expect(results[2] == .deleted)
            #expect(results[3] == .checked)
            let sequential = try created(results[4])
            #expect(sequential.stat.czxid == zxid)
            // m had three creations (d, c, then new in this multi): the failed multis did not
            // move its counter.
            #expect(sequenceNumber(of: sequential.path, prefix: seq) == 3, "\(sequential.path)")

            let after = try await h.node(m)
            #expect(after?.children == ["c", "new", sequential.path.name])
            #expect(after?.stat.pzxid == zxid)
            #expect(after?.stat.mzxid == zxid)
            #expect(after?.stat.cversion == 5, "2 × 4 creations − 3 children")

            let events = await h.events(from: setup.zxid + 1, through: zxid)
            #expect(events.allSatisfy { $0.zxid == zxid }, "failed multis fire nothing: \(events)")
            #expect(describe(events, base: h.base) == [
                "created m/new", "childrenChanged m", "dataChanged m", "deleted m/d", "childrenChanged m",
                "created m/\(sequential.path.name)", "childrenChanged m",
            ])
        }
    }

    @Test("later operations see earlier ones", arguments: ConformanceBackends.all)
    func laterSeeEarlier(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "multi-sequence") { h in
            let a = try h.path("a")
            let b = try h.path("a/b")
            let (results, zxid) = try await h.commit([
                .create(path: a, data: [], mode: .persistent),
                .create(path: b, data: bytes("one"), mode: .persistent),
                .setData(path: b, data: bytes("two"), version: 0),
                .check(path: b, version: 1),
                .create(path: try h.prefix("a/s-"), data: [], mode: .persistentSequential),
                .delete(path: b, version: 1),
                .create(path: b, data: bytes("three"), mode: .persistent),
            ])
            #expect(results.count == 7)
            #expect(try created(results[4]).path == (try h.path("a/s-0000000001")), "the counter saw the create of b")
            let bStat = try created(results[6]).stat
            #expect(bStat.czxid == zxid)
            #expect(bStat.version == 0, "a node recreated in the same multi starts over")
            let node = try await h.read(b).node
            #expect(node?.data == bytes("three"))
            #expect(node?.stat == bStat)
            let parent = try await h.node(a)
            #expect(parent?.children == ["b", "s-0000000001"])
            #expect(parent?.stat.cversion == 4, "create b, create s, delete b, create b")
            #expect(parent?.stat.czxid == zxid)
            #expect(parent?.stat.pzxid == zxid)
        }
    }

    @Test("a failure after dependent operations rolls them all back", arguments: ConformanceBackends.all)
    func rollbackOfDependents(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "multi-rollback") { h in
            let x = try h.path("x")
            let y = try h.path("x/y")
            let d = try h.path("d")
            let setup = try await h.create(d, "keep")
            let before = try await h.nodes([h.base, x, y, d])

            await h.expectFailure(
                [
                    .create(path: x, data: [], mode: .persistent),
                    .create(path: y, data: [], mode: .persistent),
                    .setData(path: y, data: [1], version: 0),
                    .check(path: y, version: 0),
                ], index: 3, .badVersion(y))
            await h.expectFailure(
                [.delete(path: d, version: 0), .setData(path: d, data: [], version: -1)], index: 1, .noNode(d))
            await h.expectFailure(
                [.delete(path: d, version: 0), .create(path: d, data: [], mode: .persistent),
                 .create(path: d, data: [], mode: .persistent)], index: 2, .nodeExists(d))
            #expect(try await h.nodes([h.base, x, y, d]) == before)

            let marker = try await h.create(try h.path("marker"))
            let events = await h.events(from: setup.zxid + 1, through: marker.zxid)
            #expect(describe(events, base: h.base) == ["created marker", "childrenChanged ."],
                    "failed multis fire nothing")
        }
    }

    @Test("multi with a session: ephemerals owned, persistent nodes not; empty multi",
          arguments: ConformanceBackends.all)
    func sessionAndEmpty(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "multi-session") { h in
            let session = try await h.openSession()
            let e = try h.path("e")
            let p = try h.path("p")
            let (results, zxid) = try await h.commit(
                [.create(path: e, data: [], mode: .ephemeral), .create(path: p, data: [], mode: .persistent),
                 .create(path: try h.prefix("es-"), data: [], mode: .ephemeralSequential)],
                session: session.id)
            #expect(try created(results[0]).stat.ephemeralOwner == session.id)
            #expect(try created(results[1]).stat.ephemeralOwner == 0)
            let es = try created(results[2])
            #expect(es.stat.ephemeralOwner == session.id)
            #expect(try await h.backend.session(session.id).ephemerals == [e, es.path].sorted())

            // An ephemeral in a failing multi is not left behind for the session.
            await h.expectFailure(
                [.create(path: try h.path("e2"), data: [], mode: .ephemeral), .check(path: p, version: 4)],
                session: session.id, index: 1, .badVersion(p))
            #expect(try await h.backend.session(session.id).ephemerals == [e, es.path].sorted())

            let before = try await h.subtree(h.base)
            let empty = try await h.commit([])
            #expect(empty.results == [])
            #expect(empty.zxid >= zxid)
            #expect(try await h.subtree(h.base) == before, "an empty multi changes nothing")
            try await h.backend.closeSession(session.id)
        }
    }
}
