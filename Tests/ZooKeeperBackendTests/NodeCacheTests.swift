import Coordination
import Testing
@testable import ZooKeeperBackend

/// The node cache keeps what the feed and the gateway's own writes make current, and hands
/// back for a fresh read exactly the entries a batch made stale.
@Suite("NodeCache")
struct NodeCacheTests {
    let path = try! ZNodePath(validating: "/config")

    func stat(mzxid: Int64, pzxid: Int64 = 1, version: Int32, cversion: Int32 = 0, owner: Int64 = 0) -> Stat {
        Stat(czxid: 1, mzxid: mzxid, ctime: 0, mtime: 0, version: version, cversion: cversion, aversion: 0,
             ephemeralOwner: owner, dataLength: 2, numChildren: cversion, pzxid: pzxid)
    }

    func read(_ data: String, mzxid: Int64, index: Int64, children: [String]? = nil, cversion: Int32 = 0, owner: Int64 = 0) -> ReadResult {
        ReadResult(node: NodeSnapshot(path: path, data: Array(data.utf8), stat: stat(mzxid: mzxid, version: 0, cversion: cversion, owner: owner),
                                      children: children), index: index, changeIndex: mzxid)
    }

    func batch(_ zxid: Int64) -> ChangeBatch {
        ChangeBatch(events: [WatchEvent(kind: .dataChanged, path: path, zxid: zxid)], zxid: zxid)
    }

    @Test("a batch takes only the entries older than itself")
    func takeOlderOnly() {
        var cache = NodeCache()
        let data = NodeCache.Key(path: path, children: false)
        let children = NodeCache.Key(path: path, children: true)
        cache.store(data, read("a", mzxid: 5, index: 5))
        cache.store(children, read("a", mzxid: 5, index: 12, children: []))
        #expect(cache.touches(batch(10)))
        #expect(cache.take(touchedBy: batch(10)) == [data], "the read at 12 already shows change 10")
        #expect(cache.entries[children] != nil)
        #expect(!cache.touches(batch(11)), "nothing older than 11 is left")
    }

    @Test("a setData of ours becomes the cached state; its batch then reads nothing again")
    func wroteReplacesData() {
        var cache = NodeCache()
        let data = NodeCache.Key(path: path, children: false)
        cache.store(data, read("a", mzxid: 5, index: 5, owner: 77))
        cache.wrote(path, data: Array("bb".utf8), stat: stat(mzxid: 9, version: 1, owner: 1234), zxid: 9)
        let entry = try! #require(cache.entries[data])
        #expect(entry.node?.data == Array("bb".utf8))
        #expect(entry.node?.stat.version == 1)
        #expect(entry.node?.stat.ephemeralOwner == 77, "the owner stays the cached one")
        #expect(entry.index == 9)
        #expect(entry.changeIndex == 9)
        #expect(!cache.touches(batch(9)))
        #expect(cache.take(touchedBy: batch(9)).isEmpty)
    }

    @Test("an entry with children is replaced only when its children cannot have changed")
    func wroteKeepsChildrenRule() {
        var cache = NodeCache()
        let children = NodeCache.Key(path: path, children: true)
        cache.store(children, read("a", mzxid: 5, index: 5, children: ["x"], cversion: 1))
        cache.wrote(path, data: Array("bb".utf8), stat: stat(mzxid: 9, version: 1, cversion: 2), zxid: 9)
        #expect(cache.entries[children]?.index == 5, "cversion moved: a child changed meanwhile, so it is read again")
        #expect(cache.take(touchedBy: batch(9)) == [children])
        cache.store(children, read("a", mzxid: 5, index: 10, children: ["x"], cversion: 1))
        cache.wrote(path, data: Array("cc".utf8), stat: stat(mzxid: 12, pzxid: 3, version: 2, cversion: 1), zxid: 12)
        #expect(cache.entries[children]?.node?.children == ["x"])
        #expect(cache.entries[children]?.node?.data == Array("cc".utf8))
        #expect(cache.entries[children]?.changeIndex == 12)
    }

    @Test("nothing is cached by a write: an uncached node stays uncached, an older write changes nothing")
    func wroteNeverAdds() {
        var cache = NodeCache()
        cache.wrote(path, data: [1], stat: stat(mzxid: 3, version: 1), zxid: 3)
        #expect(cache.entries.isEmpty)
        let data = NodeCache.Key(path: path, children: false)
        cache.store(data, read("a", mzxid: 8, index: 8))
        cache.wrote(path, data: [1], stat: stat(mzxid: 3, version: 1), zxid: 3)
        #expect(cache.entries[data]?.index == 8)
    }
}
