import Coordination
import Testing

@Suite("DataTree: create")
struct CreateTests {
    @Test func persistentCreateStats() {
        var d = Driver()
        let results = d.succeed(.create(path: path("/a"), data: bytes("hello"), mode: .persistent))
        // zxid 1 at time 1000.
        let expected = Stat(
            czxid: 1, mzxid: 1, ctime: 1000, mtime: 1000, version: 0, cversion: 0, aversion: 0,
            ephemeralOwner: 0, dataLength: 5, numChildren: 0, pzxid: 1)
        #expect(results == [.created(path: path("/a"), stat: expected)])
        #expect(d.tree.node(at: path("/a"))?.data == bytes("hello"))
        #expect(d.stat("/a") == expected)
        #expect(d.tree.ephemeralType(at: path("/a")) == .persistent)
        #expect(d.tree.lastZxid == 1)
    }

    @Test func parentStatAfterCreates() {
        var d = Driver()
        d.mkdirs("/p", "/p/x", "/p/y")
        #expect(
            d.stat("/p")
                == Stat(
                    czxid: 1, mzxid: 1, ctime: 1000, mtime: 1000, version: 0, cversion: 2, aversion: 0,
                    ephemeralOwner: 0, dataLength: 0, numChildren: 2, pzxid: 3))
        #expect(
            d.stat("/")
                == Stat(
                    czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 1, aversion: 0,
                    ephemeralOwner: 0, dataLength: 0, numChildren: 1, pzxid: 1))
        #expect(d.tree.children(of: path("/p")) == ["x", "y"])
    }

    @Test func ephemeralCreateIsOwnedBySession() {
        var d = Driver()
        d.openSession(0xAB)
        let results = d.succeed(.create(path: path("/e"), data: [], mode: .ephemeral), session: 0xAB)
        let expected = Stat(
            czxid: 2, mzxid: 2, ctime: 1010, mtime: 1010, version: 0, cversion: 0, aversion: 0,
            ephemeralOwner: 0xAB, dataLength: 0, numChildren: 0, pzxid: 2)
        #expect(results == [.created(path: path("/e"), stat: expected)])
        #expect(d.tree.ephemeralType(at: path("/e")) == .session(0xAB))
        #expect(d.tree.ephemerals(of: 0xAB) == [path("/e")])
    }

    @Test func containerIsStoredWithMinValueButShownAsZero() {
        var d = Driver()
        let results = d.succeed(.create(path: path("/c"), data: [], mode: .container))
        guard case .created(_, let stat) = results.first else { Issue.record("no result"); return }
        #expect(stat.ephemeralOwner == 0)
        #expect(d.tree.ephemeralType(at: path("/c")) == .container)
        #expect(d.tree.ephemeralType(at: path("/c"))?.ephemeralOwner == Int64(bitPattern: 0x8000_0000_0000_0000))
    }

    @Test func ttlNodeIsStoredWithItsTTLButShownAsZero() {
        var d = Driver()
        let results = d.succeed(.create(path: path("/t"), data: [], mode: .ttl, ttlMs: 5000))
        guard case .created(_, let stat) = results.first else { Issue.record("no result"); return }
        #expect(stat.ephemeralOwner == 0)
        #expect(d.tree.ephemeralType(at: path("/t")) == .ttl(5000))
        #expect(d.tree.ephemeralType(at: path("/t"))?.ephemeralOwner == Int64(bitPattern: 0xFF00_0000_0000_1388))
    }

    @Test func ttlBoundsAreInclusive() {
        var d = Driver()
        d.succeed(.create(path: path("/min"), data: [], mode: .ttl, ttlMs: 1))
        d.succeed(.create(path: path("/max"), data: [], mode: .ttlSequential, ttlMs: (1 << 40) - 1))
        #expect(d.tree.ephemeralType(at: path("/min")) == .ttl(1))
        #expect(d.tree.ephemeralType(at: path("/max0000000001")) == .ttl(1_099_511_627_775))
    }

    @Test(arguments: [
        (CreateMode.ttl, Int64?.some(0), "a ttl node needs a TTL of 1...1099511627775 ms, not 0"),
        (.ttl, -1, "a ttl node needs a TTL of 1...1099511627775 ms, not -1"),
        (.ttlSequential, 1 << 40, "a ttl_sequential node needs a TTL of 1...1099511627775 ms, not 1099511627776"),
        (.ttl, nil, "a ttl node needs a TTL of 1...1099511627775 ms, not none"),
        (.persistent, 5, "a TTL (5 ms) is only valid for ttl modes, not persistent"),
        (.container, 5, "a TTL (5 ms) is only valid for ttl modes, not container"),
        (.persistentSequential, -1, "a TTL (-1 ms) is only valid for ttl modes, not persistent_sequential"),
    ] as [(CreateMode, Int64?, String)])
    func badTTLsAreBadArguments(_ mode: CreateMode, ttl: Int64?, message: String) {
        var d = Driver()
        let failure = d.fail(.create(path: path("/t"), data: [], mode: mode, ttlMs: ttl))
        #expect(failure == MultiFailure(index: 0, error: .badArguments(message)))
        #expect(d.tree.node(at: path("/t")) == nil)
    }

    @Test func missingParentIsNoNodeForTheRequestedPath() {
        var d = Driver()
        #expect(error(d.fail(.create(path: path("/a/b"), data: [], mode: .persistent))) == .noNode(path("/a/b")))
        #expect(error(d.fail(.create(path: prefix("/q/"), data: [], mode: .persistentSequential))) == .noNode(prefix("/q/")))
    }

    @Test func existingNodeIsNodeExists() {
        var d = Driver()
        d.mkdirs("/a")
        #expect(error(d.fail(.create(path: path("/a"), data: [], mode: .persistent))) == .nodeExists(path("/a")))
        #expect(error(d.fail(.create(path: path("/a"), data: [], mode: .container))) == .nodeExists(path("/a")))
    }

    @Test func creatingTheRootIsNodeExists() {
        // ZooKeeper keeps "/" as an alias of the root, so the create finds it.
        var d = Driver()
        #expect(error(d.fail(.create(path: .root, data: [], mode: .persistent))) == .nodeExists(.root))
    }

    @Test func childrenOfEphemeralsAreRefused() {
        var d = Driver()
        d.openSession(7)
        d.succeed(.create(path: path("/e"), data: [], mode: .ephemeral), session: 7)
        #expect(
            error(d.fail(.create(path: path("/e/x"), data: [], mode: .persistent)))
                == .noChildrenForEphemerals(path("/e/x")))
        #expect(
            error(d.fail(.create(path: prefix("/e/"), data: [], mode: .ephemeralSequential), session: 7))
                == .noChildrenForEphemerals(path("/e/0000000000")))
    }

    @Test func containersAndTTLNodesMayHaveChildren() {
        var d = Driver()
        d.succeed(.create(path: path("/c"), data: [], mode: .container))
        d.succeed(.create(path: path("/t"), data: [], mode: .ttl, ttlMs: 10))
        d.mkdirs("/c/x", "/t/x")
        #expect(d.tree.children(of: path("/c")) == ["x"])
        #expect(d.tree.children(of: path("/t")) == ["x"])
    }

    @Test func ephemeralsNeedALiveSession() {
        var d = Driver()
        #expect(
            error(d.fail(.create(path: path("/e"), data: [], mode: .ephemeral)))
                == .badArguments("an ephemeral node needs a session"))
        #expect(error(d.fail(.create(path: path("/e"), data: [], mode: .ephemeral), session: 99)) == .sessionExpired(99))
    }

    @Test func anyNamedSessionMustBeLive() {
        var d = Driver()
        #expect(error(d.fail(.create(path: path("/p"), data: [], mode: .persistent), session: 99)) == .sessionExpired(99))
        d.openSession(99)
        d.succeed(.create(path: path("/p"), data: [], mode: .persistent), session: 99)
        #expect(d.stat("/p")?.ephemeralOwner == 0)
    }

    @Test func theSessionIsCheckedBeforeTheTree() {
        var d = Driver()
        #expect(error(d.fail(.create(path: path("/a/b"), data: [], mode: .ephemeral), session: 5)) == .sessionExpired(5))
    }

    @Test func dataLimit() {
        var d = Driver()
        let limit = DataTree.maxDataSize
        #expect(limit == 1_000_000)
        d.succeed(.create(path: path("/big"), data: [UInt8](repeating: 1, count: limit), mode: .persistent))
        #expect(d.stat("/big")?.dataLength == 1_000_000)
        #expect(
            error(d.fail(.create(path: path("/huge"), data: [UInt8](repeating: 1, count: limit + 1), mode: .persistent)))
                == .dataTooLarge(size: 1_000_001, limit: 1_000_000))
    }

    @Test func aSequentialPrefixNeedsASequentialMode() {
        var d = Driver()
        d.mkdirs("/q")
        #expect(
            error(d.fail(.create(path: prefix("/q/"), data: [], mode: .persistent)))
                == .invalidPath("/q/", reason: "path must not end with /"))
        #expect(
            error(d.fail(.create(path: prefix("/q/.."), data: [], mode: .container)))
                == .invalidPath("/q/..", reason: "relative segment \"..\" at index 3"))
    }

    @Test func childrenAreListedInByteOrder() {
        var d = Driver()
        d.mkdirs("/b", "/a", "/é", "/e\u{301}", "/B", "/a0")
        let names = d.tree.children(of: .root) ?? []
        #expect(names.map { Array($0.utf8) } == ["B", "a", "a0", "b", "e\u{301}", "é"].map { Array($0.utf8) })
        #expect(d.stat("/")?.numChildren == 6)
        #expect(d.tree.children(of: path("/missing")) == nil)
    }

    @Test func failedCreatesLeaveLastZxidAlone() {
        var d = Driver()
        d.mkdirs("/a")
        _ = d.fail(.create(path: path("/a"), data: [], mode: .persistent))
        #expect(d.tree.lastZxid == 1)
    }
}
