import Foundation
import Synchronization
import TestSupport
import Testing

/// The chaos suite, through HAProxy and three replicas (deploy/topology.sh), with checkers in
/// the manner of Jepsen's:
/// - locks with fencing: devices contend for one lock, each holder writing a shared node with
///   `If-Fencing-Token`, while replicas and ensemble members are killed with kill -9 and
///   started again. Every accepted write carried a token; ordered as ZooKeeper applied them
///   (their mzxid), the tokens never go down, so no two holders' writes interleave. Meanwhile a
///   Curator ServiceDiscovery client keeps listing a service, and a registration made through
///   HAProxy must be in every listing;
/// - the compare-and-set counter under a double leader failover, with a replica killed in
///   between: acknowledged ≤ final ≤ acknowledged + unknown;
/// - both at once on a 5-member ensemble of its own, two members killed at once, twice.
/// Each run prints operations, faults injected, acknowledged, unknown, lost and violations.
/// Runs in scripts/test.sh's chaos step.
@Suite(.serialized, .enabled(if: V1ZooKeeper.connectString != nil && EnsembleScript.faultTestsEnabled && Topology.available,
                             "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh, and haproxy"))
struct V1ChaosTests {
    /// A write the gateway accepted: the token it carried, who sent it, and when ZooKeeper
    /// applied it.
    struct Accepted: Sendable {
        var token: Int
        var device: Int
        var mzxid: Int
    }

    final class FencedHistory: Sendable {
        let accepted = Mutex<[Accepted]>([])
        /// Grants, fenced writes refused (the lock had moved on), outcomes unknown, and
        /// answers no rule allows.
        let counts = Mutex<(grants: Int, refused: Int, unknown: Int, unexpected: [String])>((0, 0, 0, []))
        let stop = Atomic<Bool>(false)
        /// Curator's listings of the service: with the registration, and what came without it.
        let listings = Mutex<(seen: Int, missing: [String])>((0, []))
    }

    /// One device: a session renewed every 2 s; acquires the lock (waiting up to 2 s), makes
    /// three fenced writes, releases; starts again with a new connection after any error.
    static func device(_ id: Int, port: UInt16, history: FencedHistory) {
        var client: RawHTTPClient?
        var session: String?
        var lastRenewal = 0.0
        while !history.stop.load(ordering: .relaxed) {
            do {
                let connection = try client ?? RawHTTPClient(port: port, timeout: 15)
                client = connection
                if session == nil {
                    let opened = try connection.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")],
                        body: jsonBytes(["ttl": 10_000]))
                    guard opened.status == 201, let id = opened.object["id"] as? String else {
                        Self.unknownOrUnexpected(history, opened, "open")
                        continue
                    }
                    session = id
                    lastRenewal = monotonicSeconds()
                }
                if monotonicSeconds() - lastRenewal > 2 {
                    let renewed = try connection.request("PUT", "/v1/sessions/\(session!)")
                    if renewed.status == 404 { session = nil; continue }  // expired: a new one
                    guard renewed.status == 200 else { Self.unknownOrUnexpected(history, renewed, "renew"); continue }
                    lastRenewal = monotonicSeconds()
                }
                let granted = try connection.acquire("chaos", session: session!, wait: "2s", timeout: 15)
                guard granted.status == 200, let token = granted.token else {
                    if granted.status != 409 { Self.unknownOrUnexpected(history, granted, "acquire") }
                    continue
                }
                history.counts.withLock { $0.grants += 1 }
                for k in 0..<3 {
                    let write = try connection.put("/chaos/log?parents=true", json: ["data": "\(id):\(token):\(k)"],
                        headers: [("If-Fencing-Token", "chaos=\(token)")])
                    if write.status == 200 || write.status == 201, let mzxid = write.statInt("mzxid") {
                        history.accepted.withLock { $0.append(Accepted(token: token, device: id, mzxid: mzxid)) }
                    } else if write.status == 409 || write.status == 412 {
                        history.counts.withLock { $0.refused += 1 }
                        break
                    } else {
                        Self.unknownOrUnexpected(history, write, "fenced write")
                        break
                    }
                }
                _ = try connection.request("DELETE", "/v1/locks/chaos?token=\(token)&session=\(session!)")
            } catch {
                // A connection cut under a request: its outcome is unknown.
                history.counts.withLock { $0.unknown += 1 }
                client = nil
            }
        }
        if let session, let connection = try? RawHTTPClient(port: port) {
            _ = try? connection.request("DELETE", "/v1/sessions/\(session)")
        }
    }

    static func unknownOrUnexpected(_ history: FencedHistory, _ response: HTTPTestResponse, _ what: String) {
        if response.status == 503, response.header("Retry-After") != nil {
            history.counts.withLock { $0.unknown += 1 }
            sleepSeconds(0.1)   // as a device would, if not for the full Retry-After
        } else {
            history.counts.withLock { $0.unexpected.append("\(what): \(response.status) \(response.bodyText.prefix(200))") }
        }
    }

    /// The checker: ordered by mzxid (the order ZooKeeper applied them), the tokens of
    /// accepted writes never decrease; a token's writes are one device's.
    static func violations(_ accepted: [Accepted]) -> [String] {
        var found: [String] = []
        let ordered = accepted.sorted { $0.mzxid < $1.mzxid }
        var owner: [Int: Int] = [:]
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.token < previous.token {
            found.append("token \(next.token) (device \(next.device)) accepted after token \(previous.token) (device \(previous.device))")
        }
        for write in ordered {
            if let device = owner[write.token], device != write.device {
                found.append("token \(write.token) used by devices \(device) and \(write.device)")
            }
            owner[write.token] = write.device
        }
        return found
    }

    /// Four devices contending for the fenced lock, a registrar renewing its registration, and
    /// a Curator client listing the service, all through HAProxy until `finish`.
    final class FencedLockWorkload {
        let history = FencedHistory()
        let threads: [Thread]
        let port: UInt16

        init(topology: Topology) throws {
            let port = topology.port
            self.port = port
            let history = self.history
            let registrar = try RawHTTPClient(port: port)
            let registered = try registrar.openSession(ttl: 10_000)
            let put = try registrar.recipe("PUT", "/v1/services/api/chaos-1", ["session": registered, "address": "10.0.0.9", "port": 80])
            #expect(put.status == 200, "\(put)")
            let curatorConnect = topology.connectString
            threads = [
                Thread {
                    while !history.stop.load(ordering: .relaxed) {
                        if let renewal = try? RawHTTPClient(port: port).request("PUT", "/v1/sessions/\(registered)"), renewal.status != 200,
                            renewal.status != 503
                        {
                            history.counts.withLock { $0.unexpected.append("registrar renewal: \(renewal.status) \(renewal.bodyText.prefix(200))") }
                        }
                        sleepSeconds(2)
                    }
                },
                Thread {
                    guard Curator.available else { return }
                    while !history.stop.load(ordering: .relaxed) {
                        let listed = (try? Curator.run(connectString: curatorConnect, arguments: ["discovery-list", "/services", "api"])) ?? ["(failed)"]
                        history.listings.withLock { l in
                            if listed.contains(where: { $0.contains("chaos-1") }) { l.seen += 1 } else { l.missing.append(listed.joined(separator: " ")) }
                        }
                    }
                },
            ] + (0..<4).map { id in Thread { V1ChaosTests.device(id, port: port, history: history) } }
            threads.forEach { $0.start() }
        }

        /// Stops everything, then checks the history and prints it: `faults` is what was done.
        func finish(faults: [String]) throws {
            history.stop.store(true, ordering: .relaxed)
            while threads.contains(where: \.isExecuting) { sleepSeconds(0.05) }
            let accepted = history.accepted.withLock { $0 }
            let (grants, refused, unknown, unexpected) = history.counts.withLock { ($0.grants, $0.refused, $0.unknown, $0.unexpected) }
            let violations = V1ChaosTests.violations(accepted)
            // Lost: accepted writes newer than what the node shows now, read in sync with the leader.
            let final = try RawHTTPClient(port: port).get("/chaos/log?consistent=true")
            let finalMzxid = final.statInt("mzxid") ?? 0
            let lost = accepted.filter { $0.mzxid > finalMzxid }.count
            let summary = "operations \(grants + accepted.count + refused + unknown), faults \(faults.count) (\(faults.joined(separator: ", "))); "
                + "grants \(grants), fenced writes acknowledged \(accepted.count), refused \(refused), unknown \(unknown), "
                + "lost \(lost), unexpected \(unexpected.count), violations \(violations.count)"
            print("chaos: fenced lock: \(summary)")
            #expect(violations.isEmpty, "\(violations.prefix(10)); \(summary)")
            #expect(lost == 0, "\(summary)")
            #expect(unexpected.isEmpty, "\(unexpected.prefix(10)); \(summary)")
            #expect(grants >= 10 && accepted.count >= 30, "\(summary)")
            let (seen, missing) = history.listings.withLock { ($0.seen, $0.missing) }
            print("chaos: Curator listings with the registration \(seen), without \(missing.count)")
            #expect(missing.isEmpty, "listings without the registration: \(missing.prefix(5))")
            #expect(!Curator.available || seen >= 3, "Curator listings: \(seen)")
        }
    }

    /// The counter through HAProxy: `clients` clients, and the checker run over every replica.
    final class CounterWorkload {
        let clients: CounterClients
        let topology: Topology

        init(topology: Topology, clients count: Int = 8) throws {
            self.topology = topology
            let put = try RawHTTPClient(port: topology.port).put("/counter?parents=true", "0")
            #expect(put.status == 201, "\(put)")
            clients = CounterClients.start(node: "/counter", ports: Array(repeating: topology.port, count: count))
        }

        func finish(faults: [String]) throws {
            #expect(clients.finish(), "every client ended")
            var finals: [Int] = []
            var regressions: [Int] = []
            for port in topology.replicaPorts {
                let client = try RawHTTPClient(port: port, timeout: 30)
                let ready = try eventually(timeout: 30, every: 0.2) { try client.request("GET", "/readyz").status == 200 }
                #expect(ready, "replica on \(port) ready after the faults")
                let read = try client.get("/counter?consistent=true")
                if let value = read.dataText.flatMap({ Int($0) }) { finals.append(value) }
                regressions.append(try client.metric("zkgate_zookeeper_regressions_total"))
            }
            let history = clients.history.withLock { $0 }
            let violations = CounterClients.violations(history, finals: finals, replicas: topology.replicaPorts.count)
            let summary = "faults \(faults.count) (\(faults.joined(separator: ", "))); "
                + CounterClients.summary(history, final: finals.first ?? -1)
                + ", regressions reported \(regressions), violations \(violations.count)"
            print("chaos: counter: \(summary)")
            #expect(violations.isEmpty, "\(violations); \(summary)")
            #expect(history.unexpected.isEmpty, "only 200, 412 and 503 answers: \(history.unexpected.prefix(3))")
            #expect(history.acknowledged > 100, "the clients made progress: \(summary)")
            #expect(regressions.allSatisfy { $0 == 0 }, "no replica saw the ensemble go back: \(summary)")
        }
    }

    @Test func fencedWritesNeverInterleaveWhileReplicasAndMembersAreKilled() throws {
        let topology = try Topology()
        defer { topology.stop() }
        defer { EnsembleScript.restoreAllMembers() }
        try topology.run("start")
        let workload = try FencedLockWorkload(topology: topology)
        var faults: [String] = []
        sleepSeconds(2)
        for round in 0..<5 {
            if round % 2 == 0 {
                let victim = round / 2 + 1
                try topology.run("kill \(victim)")
                faults.append("kill -9 replica \(victim)")
                sleepSeconds(2.5)
                try topology.run("start-replica \(victim)")
            } else {
                let leader = try EnsembleScript.run("leader")
                try EnsembleScript.run("kill", leader)
                faults.append("kill -9 ZooKeeper leader \(leader)")
                sleepSeconds(2.5)
                try EnsembleScript.run("start-member", leader)
                try EnsembleScript.run("wait")
            }
            sleepSeconds(1.5)
        }
        sleepSeconds(2)
        try workload.finish(faults: faults)
    }

    /// The counter of V1DoubleFailoverTests, through HAProxy: the leader killed, restarted
    /// 8 s later, the new leader killed 4 s after that; a replica killed meanwhile.
    @Test func theCounterLosesNothingThroughTwoLeaderFailuresAndAReplicaKill() throws {
        let topology = try Topology()
        defer { topology.stop() }
        defer { EnsembleScript.restoreAllMembers() }
        try topology.run("start")
        let workload = try CounterWorkload(topology: topology)
        sleepSeconds(1)
        var faults: [String] = []
        let start = monotonicSeconds()
        let killed = try LeaderFailover.double({ try EnsembleScript.run($0) }) { event in
            print(String(format: "chaos: counter: %5.1f s ", monotonicSeconds() - start) + event)
            if event.hasPrefix("restarted"), faults.isEmpty {
                // Between the failovers, while the first victim catches up.
                _ = try? topology.run("kill 2")
                faults.append("kill -9 replica 2")
            }
        }
        faults += killed.map { "kill -9 ZooKeeper member \($0)" }
        _ = try topology.run("start-replica 2")
        sleepSeconds(1)
        try workload.finish(faults: faults)
    }

    /// Both workloads at once on a 5-member ensemble: the leader and another member killed at
    /// once, restarted 8 s later, then the new leader and another member (not one just
    /// restarted) killed 4 s after that. Three of five stay up each time: a quorum.
    @Test func fiveMembersTwoKilledAtOnceLoseNothing() throws {
        let ensemble = try PrivateEnsemble(members: 5)
        defer { ensemble.destroy() }
        let topology = try Topology(ensemble: ensemble)
        defer { topology.stop() }
        try topology.run("start")
        let locks = try FencedLockWorkload(topology: topology)
        // Four counter clients, not eight: the lock's devices need their share of two cores.
        let counter = try CounterWorkload(topology: topology, clients: 4)
        sleepSeconds(2)
        let start = monotonicSeconds()
        let killed = try LeaderFailover.double(killing: 2, members: 5, { try ensemble.run($0) }) { event in
            print(String(format: "chaos: 5 members: %5.1f s ", monotonicSeconds() - start) + event)
        }
        let faults = ["kill -9 ZooKeeper members \(killed.prefix(2)) at once", "kill -9 ZooKeeper members \(killed.suffix(2)) at once"]
        sleepSeconds(2)
        try locks.finish(faults: faults)
        try counter.finish(faults: faults)
    }

    /// The checker itself, on histories made up to break each rule.
    @Test func theCheckerFindsInterleavedHolders() {
        let good = [Accepted(token: 5, device: 1, mzxid: 10), Accepted(token: 5, device: 1, mzxid: 11), Accepted(token: 9, device: 2, mzxid: 12)]
        #expect(Self.violations(good).isEmpty)
        let interleaved = good + [Accepted(token: 5, device: 1, mzxid: 13)]
        #expect(Self.violations(interleaved).count == 1)
        let shared = [Accepted(token: 5, device: 1, mzxid: 10), Accepted(token: 5, device: 2, mzxid: 11)]
        #expect(Self.violations(shared).count == 1)
    }
}
