import Coordination
import Testing

@Suite("DataTree: delete")
struct DeleteTests {
    @Test func deleteUpdatesTheParent() {
        var d = Driver()
        d.mkdirs("/p", "/p/a", "/p/b")  // zxids 1, 2, 3
        let results = d.succeed(.delete(path: path("/p/a"), version: -1))  // zxid 4
        #expect(results == [.deleted])
        #expect(d.tree.node(at: path("/p/a")) == nil)
        // Stored cversion stays 2 (creations); the reported one is 2 × 2 − 1 = 3.
        #expect(
            d.stat("/p")
                == Stat(
                    czxid: 1, mzxid: 1, ctime: 1000, mtime: 1000, version: 0, cversion: 3, aversion: 0,
                    ephemeralOwner: 0, dataLength: 0, numChildren: 1, pzxid: 4))
        #expect(d.tree.children(of: path("/p")) == ["b"])
        #expect(d.tree.lastZxid == 4)
    }

    @Test func deletingEveryChildCountsEachDeletion() {
        var d = Driver()
        d.mkdirs("/p", "/p/a", "/p/b")
        d.succeed(.delete(path: path("/p/a"), version: -1), .delete(path: path("/p/b"), version: -1))
        #expect(d.stat("/p")?.cversion == 4)
        #expect(d.stat("/p")?.numChildren == 0)
        #expect(d.stat("/p")?.pzxid == 4)
    }

    @Test func missingNodeIsNoNode() {
        var d = Driver()
        #expect(error(d.fail(.delete(path: path("/nope"), version: -1))) == .noNode(path("/nope")))
        #expect(error(d.fail(.delete(path: path("/a/b"), version: -1))) == .noNode(path("/a/b")))
    }

    @Test func versionMustMatchUnlessAny() {
        var d = Driver()
        d.mkdirs("/a")
        d.succeed(.setData(path: path("/a"), data: [1], version: -1))  // version 1
        #expect(error(d.fail(.delete(path: path("/a"), version: 0))) == .badVersion(path("/a")))
        #expect(error(d.fail(.delete(path: path("/a"), version: 2))) == .badVersion(path("/a")))
        #expect(d.succeed(.delete(path: path("/a"), version: 1)) == [.deleted])
        d.mkdirs("/b")
        #expect(d.succeed(.delete(path: path("/b"), version: Operation.anyVersion)) == [.deleted])
    }

    @Test func nodesWithChildrenAreNotEmpty() {
        var d = Driver()
        d.mkdirs("/a", "/a/b")
        #expect(error(d.fail(.delete(path: path("/a"), version: -1))) == .notEmpty(path("/a")))
        #expect(d.tree.children(of: path("/a")) == ["b"])
    }

    @Test func theVersionIsCheckedBeforeTheChildren() {
        var d = Driver()
        d.mkdirs("/a", "/a/b")
        #expect(error(d.fail(.delete(path: path("/a"), version: 3))) == .badVersion(path("/a")))
    }

    @Test func theRootCannotBeDeleted() {
        var d = Driver()
        #expect(error(d.fail(.delete(path: .root, version: -1))) == .badArguments("the root node cannot be deleted"))
    }

    @Test func deletingAnEphemeralRemovesItFromItsSession() {
        var d = Driver()
        d.openSession(3)
        d.succeed(
            .create(path: path("/e1"), data: [], mode: .ephemeral), .create(path: path("/e2"), data: [], mode: .ephemeral),
            session: 3)
        #expect(d.tree.ephemerals(of: 3) == [path("/e1"), path("/e2")])
        d.succeed(.delete(path: path("/e1"), version: -1))
        #expect(d.tree.ephemerals(of: 3) == [path("/e2")])
        d.succeed(.delete(path: path("/e2"), version: -1), session: 3)
        #expect(d.tree.ephemerals(of: 3) == [])
    }

    @Test func aNamedSessionMustBeLive() {
        var d = Driver()
        d.mkdirs("/a")
        #expect(error(d.fail(.delete(path: path("/a"), version: -1), session: 8)) == .sessionExpired(8))
        #expect(d.tree.node(at: path("/a")) != nil)
    }

    @Test func aSequentialPrefixIsNotANode() {
        var d = Driver()
        #expect(
            error(d.fail(.delete(path: prefix("/a/"), version: -1)))
                == .invalidPath("/a/", reason: "path must not end with /"))
    }
}
