import Foundation
import Synchronization
import TestSupport
import Testing

/// Locks with fencing while replicas die: devices contend for one lock through HAProxy and
/// three replicas (deploy/topology.sh), each holder writing a shared node with
/// `If-Fencing-Token`, while replicas are killed with kill -9 and started again. A checker in
/// the manner of Jepsen's then holds the accepted writes to the rules a fenced lock promises:
/// every accepted write carried a token; ordered as ZooKeeper applied them (their mzxid), the
/// tokens never go down, so no two holders' writes interleave. Meanwhile a Curator
/// ServiceDiscovery client keeps listing a service, and a registration made through HAProxy
/// must be in every listing. Runs in scripts/test.sh's fault step.
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

    final class History: Sendable {
        let accepted = Mutex<[Accepted]>([])
        /// Grants, fenced writes refused (the lock had moved on), outcomes unknown, and
        /// answers no rule allows.
        let counts = Mutex<(grants: Int, refused: Int, unknown: Int, unexpected: [String])>((0, 0, 0, []))
        let stop = Atomic<Bool>(false)
    }

    /// One device: a session renewed every 2 s; acquires the lock (waiting up to 2 s), makes
    /// three fenced writes, releases; starts again with a new connection after any error.
    static func device(_ id: Int, port: UInt16, history: History) {
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

    static func unknownOrUnexpected(_ history: History, _ response: HTTPTestResponse, _ what: String) {
        if response.status == 503, response.header("Retry-After") != nil {
            history.counts.withLock { $0.unknown += 1 }
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

    @Test func fencedWritesNeverInterleaveWhileReplicasAreKilled() throws {
        let topology = try Topology()
        defer { topology.stop() }
        try topology.run("start")
        let history = History()
        let port = topology.port
        // A registered device renewing through HAProxy, and a Curator ServiceDiscovery client
        // listing the service over and over: the instance must be there in every listing.
        let registrar = try RawHTTPClient(port: port)
        let registered = try registrar.openSession(ttl: 10_000)
        let put = try registrar.recipe("PUT", "/v1/services/api/chaos-1", ["session": registered, "address": "10.0.0.9", "port": 80])
        #expect(put.status == 200, "\(put)")
        let listings = Mutex<(seen: Int, missing: [String])>((0, []))
        let curatorConnect = V1ZooKeeper.connectString! + topology.chroot
        let watchers = [
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
                    listings.withLock { l in
                        if listed.contains(where: { $0.contains("chaos-1") }) { l.seen += 1 } else { l.missing.append(listed.joined(separator: " ")) }
                    }
                }
            },
        ]
        watchers.forEach { $0.start() }
        let devices = (0..<4).map { id in Thread { Self.device(id, port: port, history: history) } }
        devices.forEach { $0.start() }
        var faults: [String] = []
        sleepSeconds(2)
        for round in 0..<4 {
            let victim = round % 3 + 1
            try topology.run("kill \(victim)")
            faults.append("kill -9 replica \(victim)")
            sleepSeconds(2.5)
            try topology.run("start-replica \(victim)")
            sleepSeconds(1.5)
        }
        sleepSeconds(2)
        history.stop.store(true, ordering: .relaxed)
        while (devices + watchers).contains(where: \.isExecuting) { sleepSeconds(0.05) }

        let accepted = history.accepted.withLock { $0 }
        let (grants, refused, unknown, unexpected) = history.counts.withLock { ($0.grants, $0.refused, $0.unknown, $0.unexpected) }
        let violations = Self.violations(accepted)
        // Lost: accepted writes newer than what the node shows now, read in sync with the leader.
        let final = try RawHTTPClient(port: port).get("/chaos/log?consistent=true")
        let finalMzxid = final.statInt("mzxid") ?? 0
        let lost = accepted.filter { $0.mzxid > finalMzxid }.count
        let summary = "operations \(grants + accepted.count + refused + unknown), faults: \(faults.count) (\(faults.joined(separator: ", "))); "
            + "grants \(grants), fenced writes acknowledged \(accepted.count), refused \(refused), unknown \(unknown), "
            + "lost \(lost), unexpected \(unexpected.count), violations \(violations.count)"
        print("chaos: \(summary)")
        #expect(violations.isEmpty, "\(violations.prefix(10)); \(summary)")
        #expect(lost == 0, "\(summary)")
        #expect(unexpected.isEmpty, "\(unexpected.prefix(10)); \(summary)")
        #expect(grants >= 10 && accepted.count >= 30, "\(summary)")
        let (seen, missing) = listings.withLock { ($0.seen, $0.missing) }
        print("chaos: Curator listings with the registration \(seen), without \(missing.count)")
        #expect(missing.isEmpty, "listings without the registration: \(missing.prefix(5))")
        #expect(!Curator.available || seen >= 3, "Curator listings: \(seen)")
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
