import Coordination
import Testing

/// `read`, `readNow` and `sync`: what a read returns, the index it reflects, and the change index
/// documented on `ReadResult`.
@Suite("Conformance: reads")
struct ReadConformanceTests {
    @Test("a read after a commit reflects it: index >= the write's zxid; readNow agrees with read",
          arguments: ConformanceBackends.all)
    func readYourWrites(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "read-index") { h in
            let path = try h.path("n")
            var zxid = try await h.create(path, "0").zxid
            for i in 1...5 {
                let read = try await h.read(path)
                #expect(read.index >= zxid, "read index \(read.index) before write \(zxid)")
                #expect(read.changeIndex <= read.index)
                if let now = h.backend.readNow(path, children: false) {
                    #expect(now.index >= zxid)
                    #expect(now.node == read.node)
                    #expect(now.changeIndex == read.changeIndex)
                }
                zxid = try await h.setData(path, "\(i)").zxid
            }
            let synced = try await h.backend.sync(path)
            #expect(synced >= zxid, "sync reflects every write committed before it")
            #expect(try await h.read(path).index >= synced)
            #expect(try await h.read(path).node?.data == bytes("5"))
            let absent = try h.path("absent")
            let read = try await h.read(absent)
            #expect(read.node == nil)
            #expect(read.index >= zxid)
            if let now = h.backend.readNow(absent, children: true) {
                #expect(now.node == nil)
                #expect(now.changeIndex == read.changeIndex)
            }
        }
    }

    @Test("a read returns the node's path, data and stat; children only when asked, sorted by bytes",
          arguments: ConformanceBackends.all)
    func nodeAndChildren(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "read-children") { h in
            let dir = try h.path("dir")
            let made = try await h.create(dir, "payload")
            // Byte order: digits, upper case, lower case, then multi-byte UTF-8. "é" precomposed and
            // "e" + combining acute are different names, as on ZooKeeper.
            let names = ["b", "a", "B", "\u{E9}", "e\u{301}", "z", "0", "~", "a b"]
            for name in names { try await h.create(try dir.appending(name)) }

            let plain = try await h.read(dir)
            #expect(plain.node?.path == dir)
            #expect(plain.node?.data == bytes("payload"))
            #expect(plain.node?.children == nil, "children only when asked for")
            #expect(plain.node?.stat.czxid == made.zxid)
            #expect(plain.node?.stat.numChildren == Int32(names.count))

            let full = try await h.read(dir, children: true)
            let children = full.node?.children ?? []
            let expected = names.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
            #expect(children.map { Array($0.utf8) } == expected)
            #expect(full.node?.stat == plain.node?.stat)

            let leaf = try await h.read(try dir.appending("a"), children: true)
            #expect(leaf.node?.children == [], "a leaf has an empty child list")
        }
    }

    @Test("changeIndex: mzxid for a node, max(mzxid, pzxid) with children, the nearest ancestor's pzxid when absent",
          arguments: ConformanceBackends.all)
    func changeIndex(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "read-changeindex") { h in
            let a = try h.path("a")
            let b = try h.path("a/b")
            let c = try h.path("a/b/c")

            // Absent, parent absent: the base path is the nearest ancestor.
            var baseStat = try await h.stat(h.base)
            #expect(try await h.read(c).changeIndex == baseStat.pzxid)
            #expect(try await h.read(b).changeIndex == baseStat.pzxid)

            let createdA = try await h.create(a, "x")
            // Creating an ancestor moves the change index of nodes still absent below it.
            #expect(try await h.read(a).changeIndex == createdA.zxid)
            #expect(try await h.read(b).changeIndex == createdA.zxid, "a's pzxid starts at its czxid")
            #expect(try await h.read(c).changeIndex == createdA.zxid)

            let setA = try await h.setData(a, "y")
            #expect(try await h.read(a).changeIndex == setA.zxid, "without children: mzxid")
            #expect(try await h.read(a, children: true).changeIndex == setA.zxid, "mzxid > pzxid")
            #expect(try await h.read(b).changeIndex == createdA.zxid, "a data change moves no child's absence")

            let createdB = try await h.create(b)
            #expect(try await h.read(a).changeIndex == setA.zxid, "without children: a child create does not count")
            #expect(try await h.read(a, children: true).changeIndex == createdB.zxid, "with children: pzxid")
            #expect(try await h.read(c).changeIndex == createdB.zxid)

            let deletedB = try await h.delete(b)
            #expect(try await h.read(b).changeIndex == deletedB, "a deleted node: its parent's pzxid, the delete")
            #expect(try await h.read(c).changeIndex == deletedB)
            #expect(try await h.read(a, children: true).changeIndex == deletedB)
            #expect(try await h.read(a).changeIndex == setA.zxid)

            let deletedA = try await h.delete(a)
            baseStat = try await h.stat(h.base)
            #expect(baseStat.pzxid == deletedA)
            for path in [a, b, c] {
                let read = try await h.read(path)
                #expect(read.node == nil)
                #expect(read.changeIndex == deletedA, "\(path)")
                #expect(read.changeIndex <= read.index)
            }
        }
    }
}
