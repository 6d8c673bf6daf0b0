import Coordination
import Testing

/// Version checks on setData, delete and check (right, wrong and -1), and the stat fields each
/// write moves.
@Suite("Conformance: versions and stats")
struct VersionConformanceTests {
    @Test("setData: right version, wrong version, -1; version and mzxid move, czxid stays",
          arguments: ConformanceBackends.all)
    func setData(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "versions-setdata") { h in
            let path = try h.path("n")
            let created = try await h.create(path, "v0")

            let first = try await h.setData(path, "value 1", version: 0)
            #expect(first.stat.version == 1)
            #expect(first.stat.mzxid == first.zxid)
            #expect(first.stat.mzxid > first.stat.czxid)
            #expect(first.stat.czxid == created.zxid)
            #expect(first.stat.ctime == created.stat.ctime)
            #expect(first.stat.mtime >= first.stat.ctime)
            #expect(first.stat.dataLength == 7)
            #expect(first.stat.pzxid == created.stat.pzxid, "a data change leaves pzxid alone")
            #expect(first.stat.cversion == 0)
            #expect(try await h.read(path).node?.stat == first.stat, "a read returns the stat setData returned")
            #expect(try await h.read(path).node?.data == bytes("value 1"))

            for wrong: Int32 in [0, 2, 7, Int32.max, -2] {
                await h.expectFailure(
                    [.setData(path: path, data: bytes("no"), version: wrong)], index: 0, .badVersion(path),
                    "expected version \(wrong) while the node is at 1")
            }
            let afterWrong = try await h.read(path).node
            #expect(afterWrong?.stat == first.stat, "a failed setData changes nothing")
            #expect(afterWrong?.data == bytes("value 1"))

            let any = try await h.setData(path, "", version: -1)
            #expect(any.stat.version == 2, "-1 matches any version, and the version still increments")
            #expect(any.stat.mzxid == any.zxid)
            #expect(any.zxid > first.zxid)
            #expect(any.stat.dataLength == 0)

            // Each change increments the version by exactly one, even with identical data.
            var version: Int32 = 2
            for _ in 0..<3 {
                let next = try await h.setData(path, "same", version: version)
                version += 1
                #expect(next.stat.version == version)
            }
        }
    }

    @Test("delete: wrong version keeps the node; right version and -1 delete it",
          arguments: ConformanceBackends.all)
    func delete(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "versions-delete") { h in
            let a = try h.path("a")
            let b = try h.path("b")
            try await h.create(a)
            try await h.create(b)
            try await h.setData(a, "x")
            try await h.setData(a, "y")

            for wrong: Int32 in [0, 1, 3, -2] {
                await h.expectFailure([.delete(path: a, version: wrong)], index: 0, .badVersion(a), "version \(wrong)")
            }
            #expect(try await h.stat(a).version == 2, "a failed delete leaves the node")

            let before = try await h.stat(h.base)
            let zxid = try await h.delete(a, version: 2)
            #expect(try await !h.exists(a))
            let parent = try await h.stat(h.base)
            #expect(parent.numChildren == before.numChildren - 1)
            #expect(parent.cversion == before.cversion + 1, "a child delete counts as a child change")
            #expect(parent.pzxid == zxid, "a delete moves the parent's pzxid to its zxid")
            #expect(parent.mzxid == before.mzxid)

            try await h.delete(b, version: -1)
            #expect(try await !h.exists(b))
            #expect(try await h.stat(h.base).cversion == before.cversion + 2)
            #expect(try await h.stat(h.base).numChildren == before.numChildren - 2)
        }
    }

    @Test("check: passes on the right version and -1, fails on a wrong one, changes nothing",
          arguments: ConformanceBackends.all)
    func check(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "versions-check") { h in
            let path = try h.path("n")
            try await h.create(path, "data")
            try await h.setData(path, "data", version: 0)
            let before = try await h.nodes([path, h.base])

            let right = try await h.commit([.check(path: path, version: 1)])
            #expect(right.results == [.checked])
            let any = try await h.commit([.check(path: path, version: -1)])
            #expect(any.results == [.checked])
            for wrong: Int32 in [0, 2, -2] {
                await h.expectFailure([.check(path: path, version: wrong)], index: 0, .badVersion(path), "version \(wrong)")
            }
            #expect(try await h.nodes([path, h.base]) == before, "checks change no node")
            let marker = try await h.create(try h.path("marker"))
            let events = await h.events(from: right.zxid, through: marker.zxid)
            #expect(describe(events, base: h.base) == ["created marker", "childrenChanged ."], "checks fire nothing")
        }
    }

    @Test("parent counters: cversion counts creations and deletions, numChildren the children, pzxid the last",
          arguments: ConformanceBackends.all)
    func parentCounters(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "versions-parent") { h in
            let parent = try h.path("p")
            let made = try await h.create(parent, "data")
            var expectedCversion: Int32 = 0
            var children: Set<String> = []
            var lastZxid = made.zxid
            for step in ["+a", "+b", "-a", "+c", "-b", "+a", "-c", "-a"] {
                let name = String(step.dropFirst())
                let child = try h.path("p/\(name)")
                if step.hasPrefix("+") {
                    lastZxid = try await h.create(child).zxid
                    children.insert(name)
                } else {
                    lastZxid = try await h.delete(child)
                    children.remove(name)
                }
                expectedCversion += 1
                let node = try await h.node(parent)
                #expect(node?.stat.cversion == expectedCversion, "after \(step)")
                #expect(node?.stat.numChildren == Int32(children.count), "after \(step)")
                #expect(node?.stat.pzxid == lastZxid, "after \(step)")
                #expect(node?.children == children.sorted(), "after \(step)")
                #expect(node?.stat.version == 0, "child changes leave the parent's version")
                #expect(node?.stat.mzxid == made.zxid, "child changes leave the parent's mzxid")
            }
        }
    }
}
