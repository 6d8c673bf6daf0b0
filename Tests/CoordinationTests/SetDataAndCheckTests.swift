@testable import Coordination
import Testing

@Suite("DataTree: setData and check")
struct SetDataAndCheckTests {
    @Test func setDataStats() {
        var d = Driver()
        d.mkdirs("/a", "/a/child")  // zxids 1, 2 at 1000, 1010
        let results = d.succeed(.setData(path: path("/a"), data: bytes("v1"), version: 0))  // zxid 3 at 1020
        let expected = Stat(
            czxid: 1, mzxid: 3, ctime: 1000, mtime: 1020, version: 1, cversion: 1, aversion: 0,
            ephemeralOwner: 0, dataLength: 2, numChildren: 1, pzxid: 2)
        #expect(results == [.setData(stat: expected)])
        #expect(d.tree.node(at: path("/a"))?.data == bytes("v1"))
        #expect(d.stat("/a") == expected)
        d.succeed(.setData(path: path("/a"), data: [], version: -1))
        #expect(d.stat("/a")?.version == 2)
        #expect(d.stat("/a")?.dataLength == 0)
        #expect(d.stat("/a")?.mzxid == 4)
    }

    @Test func setDataOnTheRoot() {
        var d = Driver()
        d.succeed(.setData(path: .root, data: [9], version: 0))
        #expect(d.tree.node(at: .root)?.data == [9])
        #expect(d.stat("/")?.version == 1)
    }

    @Test func setDataErrors() {
        var d = Driver()
        d.mkdirs("/a")
        #expect(error(d.fail(.setData(path: path("/b"), data: [], version: -1))) == .noNode(path("/b")))
        #expect(error(d.fail(.setData(path: path("/a"), data: [], version: 1))) == .badVersion(path("/a")))
        #expect(error(d.fail(.setData(path: path("/a"), data: [], version: -2))) == .badVersion(path("/a")))
        #expect(
            error(d.fail(.setData(path: path("/a"), data: [UInt8](repeating: 0, count: 1_000_001), version: -1)))
                == .dataTooLarge(size: 1_000_001, limit: 1_000_000))
        #expect(error(d.fail(.setData(path: path("/a"), data: [], version: -1), session: 4)) == .sessionExpired(4))
        #expect(d.stat("/a")?.version == 0)
        #expect(d.stat("/a")?.mzxid == 1)
    }

    @Test func versionWrapsLikeJavaAndSkipsMinusOne() {
        // ZooKeeper's checkAndIncVersion: Int32.max + 1 wraps to Int32.min, and -2 + 1 becomes 0,
        // not -1, because -1 means "any version" (ZOOKEEPER-4743).
        var d = Driver()
        d.mkdirs("/a")
        d.tree.modifyNode(at: path("/a")) { $0.stat.version = Int32.max }
        d.succeed(.setData(path: path("/a"), data: [], version: Int32.max))
        #expect(d.stat("/a")?.version == Int32.min)
        d.tree.modifyNode(at: path("/a")) { $0.stat.version = -2 }
        d.succeed(.setData(path: path("/a"), data: [], version: -2))
        #expect(d.stat("/a")?.version == 0)
    }

    @Test func checkPassesOrFails() {
        var d = Driver()
        d.mkdirs("/a")
        #expect(d.succeed(.check(path: path("/a"), version: 0)) == [.checked])
        #expect(d.succeed(.check(path: path("/a"), version: -1)) == [.checked])
        #expect(error(d.fail(.check(path: path("/a"), version: 1))) == .badVersion(path("/a")))
        #expect(error(d.fail(.check(path: path("/x"), version: -1))) == .noNode(path("/x")))
        #expect(error(d.fail(.check(path: path("/a"), version: 0), session: 12)) == .sessionExpired(12))
    }

    @Test func aPassingCheckChangesNothingButLastZxid() {
        var d = Driver()
        d.mkdirs("/a")
        let before = d.tree.snapshot()
        let outcome = d.run([.check(path: path("/a"), version: 0)])
        #expect(outcome.events == [])
        #expect(d.tree.lastZxid == 2)
        var expected = try! DataTree(snapshot: before)
        expected.lastZxid = 2
        #expect(d.tree == expected)
    }
}
