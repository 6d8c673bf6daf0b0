import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// zkgate on the 3-node ensemble while members die. These disturb every client of the
/// ensemble, so they run in scripts/test.sh's fault step, alone.
@Suite(.serialized, .enabled(if: V1ZooKeeper.connectString != nil && EnsembleScript.faultTestsEnabled && Kazoo.available,
                             "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh"))
struct V1ZooKeeperFaultTests {
    /// PUTs new nodes one after another until stopped, keeping what was acknowledged and what
    /// was refused with 503 + Retry-After; anything else is a failure.
    final class Writes: @unchecked Sendable {
        let lock = NSLock()
        var acknowledged: [String] = []
        var unavailable = 0
        var unexpected: [String] = []
        let running = Atomic<Bool>(true)

        func run(port: UInt16) {
            var i = 0
            func connect() -> RawHTTPClient? { try? RawHTTPClient(port: port, timeout: 30) }
            var client = connect()
            while running.load(ordering: .relaxed) {
                defer { i += 1 }
                guard let c = client else { client = connect(); continue }
                do {
                    let answer = try c.put("/w/n-\(i)?parents=true", "\(i)")
                    lock.withLock {
                        switch answer.status {
                        case 200, 201: acknowledged.append("n-\(i)")
                        case 503 where answer.header("Retry-After") != nil: unavailable += 1
                        default: unexpected.append("\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                        }
                    }
                } catch {
                    client = connect()
                }
            }
        }
    }

    @Test func killingTheConnectedMemberThenTheLeaderLosesNothing() throws {
        try EnsembleScript.run("wait")
        let (server, chroot) = try V1ZooKeeper.server("faults")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect(timeout: 30)
        let opened = try client.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")],
                                         body: jsonBytes(["ttl": 60_000]))
        let session = try #require(opened.object["id"] as? String)
        let member = try client.post("/members/m-?parents=true", json: ["mode": "ephemeral_sequential", "session": session])
        let ephemeral = try #require(member.nodePath)
        let watched = try client.put("/lp?parents=true", "before")
        _ = try client.get("/lp")   // cached: the poll below parks on its loop
        let poller = try server.connect(timeout: 60)
        try poller.send(HTTPRequestBytes.make("GET", "/v1/nodes/lp?index=\(try #require(watched.zkIndex))&wait=55s", headers: []))

        let writes = Writes()
        let port = server.port
        let writer = Thread { writes.run(port: port) }
        writer.start()
        Thread.sleep(forTimeInterval: 0.5)
        for round in ["connected", "leader"] {
            let victim: Int
            if round == "connected" {
                victim = try #require(try EnsembleScript.member(connectedFrom: server.pid), "zkgate holds a connection")
            } else {
                victim = try #require(Int(try EnsembleScript.run("leader")))
            }
            try EnsembleScript.run("kill", "\(victim)")
            Thread.sleep(forTimeInterval: 3)
            try EnsembleScript.run("start-member", "\(victim)")
            try EnsembleScript.run("wait")
            let ready = try eventually(timeout: 15) { try client.request("GET", "/readyz").status == 200 }
            #expect(ready, "ready again after losing the \(round) member")
        }
        Thread.sleep(forTimeInterval: 0.5)
        writes.running.store(false, ordering: .relaxed)
        while !writer.isFinished { Thread.sleep(forTimeInterval: 0.05) }

        #expect(writes.unexpected.isEmpty, "only successes and 503 + Retry-After: \(writes.unexpected.prefix(3))")
        #expect(writes.acknowledged.count > 10)
        let listed = Set(try client.get("/w?children=true").children ?? [])
        let lost = writes.acknowledged.filter { !listed.contains($0) }
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(5))")
        // The device session, its ephemeral and the parked long-poll survived.
        let described = try client.request("GET", "/v1/sessions/\(session)")
        #expect(described.status == 200)
        #expect((described.object["ephemerals"] as? [String]) == [ephemeral])
        #expect(try client.get(ephemeral).status == 200)
        _ = try V1ZooKeeper.kazoo("zk.set(root + '/lp', b'after faults')", root: chroot)
        do {
            let answer = try poller.readResponse(timeout: 20)
            #expect(answer.status == 200)
            #expect(answer.dataText == "after faults")
        } catch {
            Issue.record("the parked long-poll was not answered: \(error); zkgate's log:\n\(server.process.stderr.text.suffix(3000))")
        }
    }

    @Test func losingQuorumFailsReadinessAndWritesUntilItIsBack() throws {
        try EnsembleScript.run("wait")
        let (server, quorumRoot) = try V1ZooKeeper.server("quorum")
        defer { V1ZooKeeper.cleanup(quorumRoot) }
        defer { server.stop() }
        let client = try server.connect(timeout: 60)
        #expect(try client.put("/q?parents=true", "1").status == 201)
        let leader = try #require(Int(try EnsembleScript.run("leader")))
        let others = (1...3).filter { $0 != leader }
        // Two of three stopped: the last member has no quorum and serves no one.
        try EnsembleScript.run("stop-member", "\(leader)")
        try EnsembleScript.run("stop-member", "\(others[0])")
        defer { EnsembleScript.restoreAllMembers() }
        let notReady = try eventually(timeout: 30) { try client.request("GET", "/readyz").status == 503 }
        #expect(notReady, "/readyz fails without a quorum")
        let refused = try client.put("/q", "2")
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") != nil)
        try EnsembleScript.run("start")
        try EnsembleScript.run("wait")
        let ready = try eventually(timeout: 40) { try client.request("GET", "/readyz").status == 200 }
        #expect(ready, "ready again once the quorum is back, with no restart")
        let accepted = try client.put("/q", "3")
        #expect(accepted.status == 200)
        #expect(try client.get("/q").dataText == "3")
    }

    @Test func afterTheGatewaysZooKeeperSessionIsLostRegistrationsHealAndLocksAreReportedLost() throws {
        try EnsembleScript.run("wait")
        let chroot = "/zkgate-e2e-heal-\(UInt32.random(in: 0...UInt32.max))"
        let server = try V1Server(["--zookeeper", V1ZooKeeper.connectString! + chroot, "--zookeeper-session-timeout", "4000"])
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { server.stop() }
        let client = try server.connect(timeout: 60)
        let session = try client.openSession(ttl: 120_000)
        let granted = try client.acquire("held", session: session)
        let token = try #require(granted.token)
        #expect(try client.recipe("PUT", "/v1/services/api/dev1", ["session": session, "address": "10.0.0.1", "port": 80]).status == 200)

        // Frozen past its ZooKeeper session timeout, the gateway loses that session and every
        // ephemeral it owned; the device session (a record in ZooKeeper) outlives it.
        kill(server.pid, SIGSTOP)
        sleepSeconds(9)
        kill(server.pid, SIGCONT)
        let healed = eventually(timeout: 40, every: 0.2) {
            let seen = try? V1ZooKeeper.kazoo("print('yes' if zk.exists(root + '/services/api/dev1') else 'no')", root: chroot)
            return seen?.trimmingCharacters(in: .whitespacesAndNewlines) == "yes"
        }
        #expect(healed, "the registration was written again; zkgate's log:\n\(server.process.stderr.text.suffix(3000))")
        let listed = try client.request("GET", "/v1/services/api")
        #expect((listed.object["instances"] as? [[String: Any]])?.first?["id"] as? String == "dev1", "\(listed)")
        let renewed = try client.request("PUT", "/v1/sessions/\(session)")
        #expect(renewed.status == 200, "\(renewed)")
        let lost = renewed.object["lostLocks"] as? [[String: Any]]
        #expect(lost?.count == 1 && intValue(lost?.first?["token"]) == token, "the lock went with the gateway's session: \(renewed.bodyText)")
        #expect(try client.request("GET", "/v1/locks/held").holder == nil)
    }
}
