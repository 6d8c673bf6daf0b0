import Foundation
import Testing
import TestSupport
import ZooKeeperClient
#if canImport(Glibc)
import Glibc
#endif

/// Cross-checks with another implementation of the protocol: kazoo (Python), from the
/// project's virtualenv (.build-py, installed by scripts/setup.sh).
@Suite(.enabled(if: Ensemble.available && Kazoo.available, "needs the ensemble and kazoo in .build-py"))
struct KazooCrossCheckTests {
    @Test func whatOurClientWritesKazooReadsWithTheSameDataAndStat() async throws {
        let zk = try await Ensemble.client()
        let root = Ensemble.uniquePath("kazoo")
        let data: [UInt8] = [0, 1, 2, 0xff] + Array("é☃".utf8)
        _ = try await zk.create(root, data: data)
        let stat = try await zk.setData(root, data: data, version: 0)
        _ = try await zk.create(root + "/child-", data: [], mode: .persistentSequential)
        let seen = try Kazoo.run(connectString: Ensemble.connectString!, """
            zk.sync(root)
            data, st = zk.get(root)
            print(json.dumps({"data": list(data), "czxid": st.czxid, "mzxid": st.mzxid, "pzxid": st.pzxid,
                "ctime": st.ctime, "mtime": st.mtime, "version": st.version, "cversion": st.cversion,
                "aversion": st.aversion, "ephemeralOwner": st.ephemeralOwner, "dataLength": st.dataLength,
                "numChildren": st.numChildren, "children": zk.get_children(root)}))
            """, root: root)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(seen.utf8)) as? [String: Any])
        #expect((json["data"] as? [Int])?.map(UInt8.init) == data)
        #expect(json["czxid"] as? Int64 == stat.czxid)
        #expect(json["mzxid"] as? Int64 == stat.mzxid)
        #expect(json["ctime"] as? Int64 == stat.ctime)
        #expect(json["mtime"] as? Int64 == stat.mtime)
        #expect(json["version"] as? Int == 1)
        #expect(json["dataLength"] as? Int == data.count)
        #expect(json["numChildren"] as? Int == 1)
        #expect(json["children"] as? [String] == ["child-0000000000"])
        await Ensemble.deleteTree(zk, root)
        await zk.close()
    }

    @Test func aChangeMadeByKazooFiresOurWatch() async throws {
        let zk = try await Ensemble.client()
        let root = Ensemble.uniquePath("kazoo-watch")
        _ = try await zk.create(root, data: [])
        let events = zk.events()
        try await zk.addWatch(root, mode: .persistentRecursive)
        _ = try Kazoo.run(connectString: Ensemble.connectString!, "zk.create(root + '/from-kazoo', b'hi')", root: root)
        let fired = await ZooKeeperClient.firstEvent(events) {
            $0 == .watch(.init(type: .nodeCreated, state: .syncConnected, path: root + "/from-kazoo"))
        }
        #expect(fired != nil)
        _ = try await zk.sync(root)
        #expect(try await zk.getData(root + "/from-kazoo").data == Array("hi".utf8))
        await Ensemble.deleteTree(zk, root)
        await zk.close()
    }
}
