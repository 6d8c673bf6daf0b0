import Coordination
import Testing

@Suite("DataTree: watch events")
struct WatchEventTests {
    @Test func createFiresCreatedThenParentChildrenChanged() {
        var d = Driver()
        let outcome = d.run([.create(path: path("/a"), data: [], mode: .persistent)])
        #expect(outcome.events == [
            WatchEvent(kind: .created, path: path("/a"), zxid: 1),
            WatchEvent(kind: .childrenChanged, path: .root, zxid: 1),
        ])
    }

    @Test func sequentialCreateNamesTheFinalPath() {
        var d = Driver()
        d.mkdirs("/q")
        let outcome = d.run([.create(path: prefix("/q/"), data: [], mode: .persistentSequential)])
        #expect(outcome.events.map(\.path) == [path("/q/0000000000"), path("/q")])
    }

    @Test func deleteFiresDeletedThenParentChildrenChanged() {
        var d = Driver()
        d.mkdirs("/a", "/a/b")
        let outcome = d.run([.delete(path: path("/a/b"), version: -1)])
        #expect(outcome.events == [
            WatchEvent(kind: .deleted, path: path("/a/b"), zxid: 3),
            WatchEvent(kind: .childrenChanged, path: path("/a"), zxid: 3),
        ])
    }

    @Test func setDataFiresDataChanged() {
        var d = Driver()
        d.mkdirs("/a")
        let outcome = d.run([.setData(path: path("/a"), data: [1], version: -1)])
        #expect(outcome.events == [WatchEvent(kind: .dataChanged, path: path("/a"), zxid: 2)])
    }

    @Test func checksAndSessionsFireNothing() {
        var d = Driver()
        #expect(d.apply(.createSession(id: 1, timeoutMs: 10)).events == [])
        #expect(d.run([.check(path: .root, version: -1)]).events == [])
    }

    @Test func aMultiFiresInOperationOrderUnderOneZxid() {
        var d = Driver()
        d.mkdirs("/a", "/b")
        let outcome = d.run([
            .setData(path: path("/b"), data: [1], version: 0),
            .create(path: path("/a/x"), data: [], mode: .persistent),
            .check(path: path("/a"), version: 0),
            .delete(path: path("/b"), version: 1),
        ])
        #expect(outcome.events == [
            WatchEvent(kind: .dataChanged, path: path("/b"), zxid: 3),
            WatchEvent(kind: .created, path: path("/a/x"), zxid: 3),
            WatchEvent(kind: .childrenChanged, path: path("/a"), zxid: 3),
            WatchEvent(kind: .deleted, path: path("/b"), zxid: 3),
            WatchEvent(kind: .childrenChanged, path: .root, zxid: 3),
        ])
    }

    @Test func aFailedMultiFiresNothing() {
        var d = Driver()
        let outcome = d.run([
            .create(path: path("/a"), data: [], mode: .persistent),
            .create(path: path("/a"), data: [], mode: .persistent),
        ])
        #expect(outcome.result == .failure(MultiFailure(index: 1, error: .nodeExists(path("/a")))))
        #expect(outcome.events == [])
    }

    @Test(arguments: [
        (WatchEvent.Kind.created, Int32(1), "created"), (.deleted, 2, "deleted"),
        (.dataChanged, 3, "dataChanged"), (.childrenChanged, 4, "childrenChanged"),
    ])
    func kindsCarryZooKeeperEventTypes(_ kind: WatchEvent.Kind, type: Int32, raw: String) {
        #expect(kind.zookeeperType == type)
        #expect(kind.rawValue == raw)
    }
}
