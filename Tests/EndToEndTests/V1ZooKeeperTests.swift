import Foundation
import TestSupport
import Testing

/// The real zkgate on the 3-node ensemble (`--zookeeper`, each test under a chroot of its
/// own), cross-checked with kazoo: what zkgate writes kazoo reads, a kazoo write wakes a
/// zkgate long-poll, and a closed device session's ephemeral is gone for kazoo too.
@Suite(.enabled(if: V1ZooKeeper.connectString != nil && Kazoo.available, "needs the ensemble (scripts/test.sh) and kazoo"))
struct V1ZooKeeperTests {
    @Test func aNodeWrittenThroughZkgateReadsTheSameInKazoo() throws {
        let (server, chroot) = try V1ZooKeeper.server("write")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect()
        let put = try client.put("/app/config?parents=true", json: ["data": "v1 ☃"])
        #expect(put.status == 201 || put.status == 200)
        let seen = try V1ZooKeeper.kazoo("""
            zk.sync(root)
            data, st = zk.get(root + '/app/config')
            print(json.dumps({"data": data.decode(), "czxid": st.czxid, "mzxid": st.mzxid, "ctime": st.ctime,
                "version": st.version, "dataLength": st.dataLength}))
            """, root: chroot)
        let kazoo = try #require(try JSONSerialization.jsonObject(with: Data(seen.utf8)) as? [String: Any])
        #expect(kazoo["data"] as? String == "v1 ☃")
        #expect(intValue(kazoo["czxid"]) == put.statInt("czxid"))
        #expect(intValue(kazoo["mzxid"]) == put.statInt("mzxid"))
        #expect(intValue(kazoo["ctime"]) == put.statInt("ctime"))
        #expect(intValue(kazoo["version"]) == 0)
        #expect(intValue(kazoo["dataLength"]) == Array("v1 ☃".utf8).count)
    }

    @Test func aKazooWriteWakesZkgateLongPolls() throws {
        let (server, chroot) = try V1ZooKeeper.server("longpoll")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect()
        let first = try client.put("/lp?parents=true", "before")
        var index = try #require(first.zkIndex)
        // The first poll finds the node uncached; the second finds it cached and parks on its
        // loop. Both must be woken by a write zkgate did not make.
        for round in 1...2 {
            let poller = try server.connect()
            try poller.send(HTTPRequestBytes.make("GET", "/v1/nodes/lp?index=\(index)&wait=20s", headers: []))
            #expect(!poller.waitForInput(timeout: 0.5), "round \(round): answered before any write")
            _ = try V1ZooKeeper.kazoo("zk.set(root + '/lp', b'from kazoo \(round)')", root: chroot)
            let answer = try poller.readResponse(timeout: 10)
            #expect(answer.status == 200, "round \(round)")
            #expect(answer.dataText == "from kazoo \(round)", "round \(round)")
            index = try #require(answer.zkIndex)
            #expect(try #require(answer.statInt("mzxid")) <= index)
        }
    }

    @Test func aClosedDeviceSessionsEphemeralIsGoneForKazoo() throws {
        let (server, chroot) = try V1ZooKeeper.server("session")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect()
        let opened = try client.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")],
                                         body: jsonBytes(["ttl": 30_000]))
        let session = try #require(opened.object["id"] as? String)
        let member = try client.post("/members/m-?parents=true", json: ["mode": "ephemeral_sequential", "session": session, "data": "10.0.0.7:80"])
        #expect(member.status == 201)
        let path = try #require(member.nodePath)
        let before = try V1ZooKeeper.kazoo("zk.sync(root); print(zk.exists(root + '\(path)') is not None)", root: chroot)
        #expect(before == "True")
        let listed = try client.request("GET", "/v1/sessions/\(session)")
        #expect((listed.object["ephemerals"] as? [String]) == [path])
        let closed = try client.request("DELETE", "/v1/sessions/\(session)")
        #expect(closed.status == 204)
        let after = try V1ZooKeeper.kazoo("zk.sync(root); print(zk.exists(root + '\(path)') is not None)", root: chroot)
        #expect(after == "False")
    }
}

extension V1ZooKeeperTests {
    @Test func aWriteThroughOneGatewayWakesALongPollOnAnother() throws {
        let (first, chroot) = try V1ZooKeeper.server("replicas")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { first.stop() }
        let second = try V1Server(["--zookeeper", V1ZooKeeper.connectString! + chroot])
        defer { second.stop() }
        let writer = try first.connect()
        let created = try writer.put("/shared?parents=true", "one")
        let index = try #require(created.zkIndex)
        for round in 1...2 {
            let poller = try second.connect()
            let current = round == 1 ? index : try #require(try second.connect().get("/shared").zkIndex)
            try poller.send(HTTPRequestBytes.make("GET", "/v1/nodes/shared?index=\(current)&wait=20s", headers: []))
            #expect(!poller.waitForInput(timeout: 0.5), "round \(round): answered before the write")
            let write = try writer.put("/shared", "round \(round)")
            let answer = try poller.readResponse(timeout: 10)
            #expect(answer.dataText == "round \(round)")
            #expect(answer.statInt("mzxid") == write.statInt("mzxid"))
        }
    }
}

extension V1ZooKeeperTests {
    @Test func anotherGatewayTakesRenewalsOverAndClosesTheSession() throws {
        let (first, chroot) = try V1ZooKeeper.server("takeover")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { first.stop() }
        let second = try V1Server(["--zookeeper", V1ZooKeeper.connectString! + chroot])
        defer { second.stop() }
        let a = try first.connect()
        let b = try second.connect()
        let opened = try a.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")],
                                    body: jsonBytes(["ttl": 3_000]))
        let session = try #require(opened.object["id"] as? String)
        let made = try a.post("/m/e-?parents=true", json: ["mode": "ephemeral_sequential", "session": session])
        let path = try #require(made.nodePath)
        // Renewed only through the second gateway, for three times the lease: the first
        // gateway, which made the ephemeral, must not expire it.
        let start = monotonicSeconds()
        while monotonicSeconds() - start < 7 {
            #expect(try b.request("PUT", "/v1/sessions/\(session)").status == 200)
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(try a.get(path).status == 200, "the ephemeral outlived its lease through renewals elsewhere")
        #expect(try a.request("GET", "/v1/sessions/\(session)").status == 200)
        // Closed through the second gateway: the first deletes what it made.
        #expect(try b.request("DELETE", "/v1/sessions/\(session)").status == 204)
        let gone = try eventually(timeout: 5) { try a.get(path).status == 404 }
        #expect(gone, "the ephemeral made through the first gateway is gone")
        let kazoo = try V1ZooKeeper.kazoo("zk.sync(root); print(zk.exists(root + '\(path)') is not None)", root: chroot)
        #expect(kazoo == "False")
    }
}

extension V1ZooKeeperTests {
    @Test func aGracefulStopEndsTheGatewaysSessionAtOnce() throws {
        let (server, chroot) = try V1ZooKeeper.server("stop")
        defer { V1ZooKeeper.cleanup(chroot) }
        let client = try server.connect()
        let opened = try client.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")],
                                         body: jsonBytes(["ttl": 60_000]))
        let session = try #require(opened.object["id"] as? String)
        let made = try client.post("/m/e-?parents=true", json: ["mode": "ephemeral_sequential", "session": session])
        let path = try #require(made.nodePath)
        let stopped = monotonicSeconds()
        #expect(server.stop() == .exited(0))
        // Gone without waiting out the gateway's 10 s ZooKeeper session timeout.
        let gone = try V1ZooKeeper.kazoo("zk.sync(root); print(zk.exists(root + '\(path)') is None)", root: chroot)
        #expect(gone == "True")
        #expect(monotonicSeconds() - stopped < 8)
    }
}

extension V1ZooKeeperTests {
    /// A node made by kazoo is not in the gateway's cache: ETag conditions must still be
    /// checked against its real state, not refused (If-Match) or ignored (If-None-Match).
    @Test func etagConditionsOnANodeTheGatewayHasNotRead() throws {
        let (server, chroot) = try V1ZooKeeper.server("etag-cold")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let printed = try V1ZooKeeper.kazoo("""
            zk.create(root + '/cold', b'k0', makepath=True)
            zk.create(root + '/cold2', b'k0', makepath=True)
            zk.create(root + '/cold3', b'k0', makepath=True)
            for name in ['/cold', '/cold3']:
                st = zk.exists(root + name)
                print('"%d.%d"' % (st.mzxid, st.pzxid))
            """, root: chroot)
        let tags = printed.split(separator: "\n").map(String.init)
        try #require(tags.count == 2, "\(printed)")
        let client = try server.connect()
        // The first request about /cold3: a matching If-Match on a node never read is a write.
        let first = try client.put("/cold3", "z3", headers: [("If-Match", tags[1])])
        #expect(first.status == 200, "\(first)")
        #expect(try client.get("/cold3").dataText == "z3")
        let made = tags[0]
        expectProblem(try client.put("/cold", "x", headers: [("If-None-Match", made)]), status: 412, type: "etag-mismatch")
        expectProblem(try client.put("/cold2", "x", headers: [("If-Match", "\"1.1\"")]), status: 412, type: "etag-mismatch")
        let set = try client.put("/cold", "z1", headers: [("If-Match", made)])
        #expect(set.status == 200, "\(set)")
        #expect(try client.get("/cold").dataText == "z1", "read back on the same connection")
    }

    /// Each answer to a write comes after this gateway has dropped what the write made stale:
    /// a read on the same connection right after it sees the write, cached node or not.
    @Test func aReadAfterAWriteOnTheSameConnectionSeesIt() throws {
        let (server, chroot) = try V1ZooKeeper.server("ryw")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/ryw?parents=true", "0").status == 201)
        for i in 1...100 {
            let put = try client.put("/ryw", "\(i)")
            #expect(put.status == 200)
            let read = try client.get("/ryw")
            #expect(read.dataText == "\(i)", "write \(i) then read on the same connection")
            let etag = try #require(read.etag)
            #expect(try client.put("/ryw", "\(i)", headers: [("If-Match", etag)]).status == 200)
        }
    }
}

enum V1ZooKeeper {
    static let connectString = EnsembleScript.connectString

    /// zkgate on the ensemble under a fresh chroot (zkgate creates it).
    static func server(_ name: String) throws -> (V1Server, String) {
        let chroot = "/zkgate-e2e-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        return (try V1Server(["--zookeeper", connectString! + chroot]), chroot)
    }

    /// Two zkgate replicas on one fresh chroot, each seeing the other's replica record (so that
    /// either would adopt the other's ZooKeeper session). The caller stops both and cleans up.
    static func replicas(_ name: String) throws -> (first: V1Server, second: V1Server, chroot: String) {
        let (first, chroot) = try server(name)
        let second = try V1Server(["--zookeeper", connectString! + chroot])
        let (a, b) = (try first.connect(), try second.connect())
        let paired = eventually(timeout: 10, every: 0.05) {
            (try? a.metric("zkgate_replica_peers")) == 1 && (try? b.metric("zkgate_replica_peers")) == 1
        }
        guard paired else { throw HTTPClientError.malformed("the replicas on \(chroot) did not see each other within 10 s") }
        return (first, second, chroot)
    }

    /// Deletes a test's chroot and everything below it, so runs leave nothing on the ensemble.
    static func cleanup(_ chroot: String) {
        _ = try? kazoo("zk.delete(root, recursive=True) if zk.exists(root) else None", root: chroot)
    }

    static func kazoo(_ body: String, root: String) throws -> String {
        try Kazoo.run(connectString: connectString!, body, root: root)
    }
}

extension V1ZooKeeperTests {
    /// A device session's ephemeral index keeps step with its nodes: twenty lock cycles leave
    /// no entries behind, and closing the session deletes the record with its index.
    @Test func theEphemeralIndexDoesNotGrowWithLockCycles() throws {
        let (server, chroot) = try V1ZooKeeper.server("index")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect()
        let session = try client.openSession(ttl: 30_000)
        for _ in 0..<20 {
            let granted = try client.acquire("cycle", session: session)
            let token = try #require(granted.token, "\(granted)")
            #expect(try client.request("DELETE", "/v1/locks/cycle?token=\(token)&session=\(session)").status == 204)
        }
        #expect(try client.post("/kept?parents=true", json: ["mode": "ephemeral", "session": session]).status == 201)
        let record = "/zkgate/sessions/\(UInt64(session, radix: 16).map { String($0, radix: 16) } ?? session)"
        let entries = try V1ZooKeeper.kazoo("zk.sync(root); print(len(zk.get_children(root + '\(record)')))", root: chroot)
        #expect(entries == "1", "index entries after 20 lock cycles and one node: \(entries)")
        #expect(try client.request("DELETE", "/v1/sessions/\(session)").status == 204)
        let gone = try V1ZooKeeper.kazoo("zk.sync(root); print(zk.exists(root + '\(record)') is None)", root: chroot)
        #expect(gone == "True")
    }
}
