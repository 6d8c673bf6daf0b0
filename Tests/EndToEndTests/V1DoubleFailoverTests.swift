import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two zkgate replicas on the 3-node ensemble while its leader dies twice in a row: the leader
/// is killed, restarted 8 s later, and 4 s after that the new leader is killed too. On
/// ZooKeeper 3.8.0–3.8.4 a member that had just rejoined could win the second election with
/// its DIFF sync not yet on disk, and the others then truncated committed transactions
/// (ZOOKEEPER-4643, -4646, -4785); deploy/zk-ensemble.sh runs every member with
/// -Dzookeeper.forceSnapshotSync=true, which makes a rejoining member sync from a snapshot
/// instead. Clients increment one counter by compare-and-set through both replicas, and a
/// checker in the manner of Jepsen's counter test holds the final value to what was
/// acknowledged. It runs in scripts/test.sh's fault step, alone.
@Suite(.serialized, .enabled(if: V1ZooKeeper.connectString != nil && EnsembleScript.faultTestsEnabled && Kazoo.available,
                             "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh"))
struct V1DoubleFailoverTests {
    /// What the clients saw. Every increment is a compare-and-set from the value read, so in a
    /// linearizable history the counter ends at the number of increments applied: all the
    /// acknowledged ones plus some of the unknown ones (503 from a lost connection, or no
    /// answer in time, may or may not have been applied).
    struct History: Sendable {
        var operations = 0
        var acknowledged = 0
        var unknown = 0
        var failedCAS = 0
        var unexpected: [String] = []
        /// The values acknowledged writes wrote: each one at most once, and none above the end.
        var acknowledgedValues: [Int] = []
    }

    /// Eight clients, four on each replica: read the counter with ?consistent=true, write it
    /// plus one with If-Match: <etag>.
    final class CounterClients: Sendable {
        let history = Mutex(History())
        let running = Atomic<Bool>(true)
        let finished = Atomic<Int>(0)

        func run(port: UInt16, node: String) {
            defer { finished.add(1, ordering: .relaxed) }
            func connect() -> RawHTTPClient? { try? RawHTTPClient(port: port, timeout: 15) }
            var client = connect()
            while running.load(ordering: .relaxed) {
                guard let c = client else {
                    sleepSeconds(0.1)
                    client = connect()
                    continue
                }
                let read: HTTPTestResponse
                do {
                    read = try c.get(node + "?consistent=true")
                } catch {
                    client = connect()
                    continue
                }
                guard read.status == 200, let text = read.dataText, let value = Int(text), let etag = read.etag else {
                    if read.status != 503 {
                        history.withLock { $0.unexpected.append("GET \(read.status) \(read.bodyText.prefix(200))") }
                    }
                    sleepSeconds(0.05)
                    continue
                }
                let answer: HTTPTestResponse
                do {
                    answer = try c.put(node, "\(value + 1)", headers: [("If-Match", etag)])
                } catch {
                    // No answer: the write may or may not have been applied.
                    history.withLock { $0.operations += 1; $0.unknown += 1 }
                    client = connect()
                    continue
                }
                history.withLock { h in
                    h.operations += 1
                    switch answer.status {
                    case 200...299:
                        h.acknowledged += 1
                        h.acknowledgedValues.append(value + 1)
                    case 412: h.failedCAS += 1
                    case 503: h.unknown += 1
                    default: h.unexpected.append("PUT \(answer.status) \(answer.bodyText.prefix(200))")
                    }
                }
                if answer.status == 503 { sleepSeconds(0.05) }
            }
        }
    }

    /// Kills the leader, restarts it 8 s later, kills the new leader 4 s after that restart and
    /// restarts it once a leader is elected without it. Returns the members killed.
    static func doubleFailover(_ log: (String) -> Void) throws -> [Int] {
        let first = try #require(Int(try EnsembleScript.run("leader")))
        try EnsembleScript.run("kill", "\(first)")
        log("killed leader \(first)")
        sleepSeconds(8)
        try EnsembleScript.run("start-member", "\(first)")
        let restarted = monotonicSeconds()
        log("restarted \(first)")
        try EnsembleScript.run("wait")   // a leader, and the restarted member synced as a follower
        sleepSeconds(4 - (monotonicSeconds() - restarted))
        let second = try #require(Int(try EnsembleScript.run("leader")))
        try EnsembleScript.run("kill", "\(second)")
        log("killed leader \(second)")
        try EnsembleScript.run("wait")   // the two others elect one of themselves
        log("leader \(try EnsembleScript.run("leader")) elected")
        try EnsembleScript.run("start-member", "\(second)")
        try EnsembleScript.run("wait")
        log("restarted \(second), all serving")
        return [first, second]
    }

    @Test func acknowledgedIncrementsSurviveTwoLeaderFailuresInARow() throws {
        try EnsembleScript.run("wait")
        let start = monotonicSeconds()
        let chroot = "/zkgate-e2e-failover-\(UInt32.random(in: 0...UInt32.max))"
        let replicas = try (0..<2).map { _ in try V1Server(["--zookeeper", V1ZooKeeper.connectString! + chroot]) }
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { for replica in replicas { replica.stop() } }
        // Members stopped by a failing step are started again for the suites after this one.
        defer {
            _ = try? EnsembleScript.run("start")
            _ = try? EnsembleScript.run("wait")
        }
        let admin = try replicas[0].connect(timeout: 30)
        #expect(try admin.put("/counter?parents=true", "0").status == 201)
        let node = "/counter"

        let clients = CounterClients()
        let threads = (0..<8).map { i in
            let port = replicas[i % 2].port
            let thread = Thread { clients.run(port: port, node: node) }
            thread.name = "counter-client-\(i)"
            thread.start()
            return thread
        }
        sleepSeconds(1)

        // As many double failovers as fit: about 22 s each, none started after 50 s, so the
        // test stays within about 90 s.
        var killed: [Int] = []
        var cycles = 0
        var stuck: (any Error)?
        while cycles < 3 && monotonicSeconds() - start < 50 {
            do {
                killed += try Self.doubleFailover { event in
                    print(String(format: "double failover: %5.1f s cycle %d: ", monotonicSeconds() - start, cycles + 1) + event)
                }
            } catch {
                // The ensemble did not recover (no quorum within the script's wait): noted, and
                // the counter is still checked once every member is back.
                stuck = error
                _ = try? EnsembleScript.run("start")
                _ = try? EnsembleScript.run("wait", "120")
                break
            }
            cycles += 1
        }
        sleepSeconds(1)
        clients.running.store(false, ordering: .relaxed)
        let drained = eventually(timeout: 40, every: 0.05) { clients.finished.load(ordering: .relaxed) == threads.count }
        #expect(drained, "every client ended")

        var finals: [Int] = []
        var regressions: [Int] = []
        for replica in replicas {
            let client = try replica.connect(timeout: 30)
            let ready = try eventually(timeout: 30, every: 0.2) { try client.request("GET", "/readyz").status == 200 }
            #expect(ready, "replica ready after the faults")
            let read = try client.get(node + "?consistent=true")
            #expect(read.status == 200)
            if let value = read.dataText.flatMap({ Int($0) }) { finals.append(value) }
            regressions.append(try client.metric("zkgate_zookeeper_regressions_total"))
        }

        // How the members ran: a reused ensemble started before the script passed the flag
        // (or ZK_JAVA_OPTS=-Dzookeeper.forceSnapshotSync=false) syncs by DIFF.
        let forced = try EnsembleScript.memberCommandLines().sorted { $0.key < $1.key }.map { member, arguments in
            "\(member): \(arguments.last { $0.hasPrefix("-Dzookeeper.forceSnapshotSync=") }?.split(separator: "=").last ?? "unset")"
        }
        let history = clients.history.withLock { $0 }
        let final = try #require(finals.first, "the counter could be read at the end")
        var violations: [String] = []
        if finals.count != 2 || finals[0] != finals[1] { violations.append("the replicas read different counters: \(finals)") }
        if final < history.acknowledged {
            violations.append("final \(final) < acknowledged \(history.acknowledged): acknowledged increments lost")
        }
        if final > history.acknowledged + history.unknown {
            violations.append("final \(final) > acknowledged + unknown \(history.acknowledged + history.unknown)")
        }
        let values = history.acknowledgedValues
        let duplicates = values.count - Set(values).count
        if duplicates > 0 { violations.append("\(duplicates) values acknowledged more than once: the counter went back") }
        if let highest = values.max(), highest > final {
            violations.append("value \(highest) acknowledged, but the counter ends at \(final)")
        }
        let lost = max(0, history.acknowledged - final)
        print("""
            double failover: \(cycles) cycles, members killed \(killed), \(history.operations) operations, \
            faults injected \(killed.count), acknowledged \(history.acknowledged), unknown \(history.unknown), \
            failed CAS \(history.failedCAS), final \(final), lost \(lost), \
            regressions reported \(regressions), forceSnapshotSync \(forced), \
            \(stuck == nil ? "" : "ensemble stuck in cycle \(cycles + 1), ")violations \(violations.count)\
            \(violations.isEmpty ? "" : ": " + violations.joined(separator: "; ")), \
            \(String(format: "%.1f", monotonicSeconds() - start)) s
            """)

        #expect(stuck == nil, "the ensemble recovered from every failover: \(stuck.map { "\($0)" } ?? "")")
        #expect(violations.isEmpty, "\(violations); members' forceSnapshotSync: \(forced) (ZooKeeper 3.8.0–3.8.4 needs it true)")
        #expect(history.unexpected.isEmpty, "only 200, 412 and 503 answers: \(history.unexpected.prefix(3))")
        #expect(history.acknowledged > 100, "the clients made progress: \(history.acknowledged)")
        #expect(regressions == [0, 0], "no replica saw the ensemble go back on an acknowledged state")
        if !violations.isEmpty || regressions != [0, 0] {
            for (i, replica) in replicas.enumerated() {
                let log = replica.process.stderr.text
                let critical = log.split(separator: "\n").filter { $0.contains("critical") }.prefix(5)
                print("replica \(i) critical lines:\n\(critical.joined(separator: "\n"))")
            }
        }
    }
}
