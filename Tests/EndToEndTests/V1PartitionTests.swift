import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A network partition, not a kill: one replica cut off from the ensemble while its clients
/// still reach it. It runs as another user (setpriv), and an iptables rule drops that user's
/// packets to the members' client ports. From the moment its ZooKeeper session is in doubt it
/// must grant nothing and vouch for no device session (503 + Retry-After), while the other
/// replica adopts its session and serves the device; when the partition heals it takes its
/// session back and serves again, without a restart. Runs in scripts/test.sh's fault step (it
/// needs root for iptables).
@Suite(.serialized, .enabled(if: V1ZooKeeper.connectString != nil && EnsembleScript.faultTestsEnabled && Partition.available,
                             "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh, as root with iptables and setpriv"))
struct V1PartitionTests {
    @Test func aReplicaCutOffVouchesForNothingAndServesAgainWhenHealed() throws {
        let chroot = "/zkgate-e2e-partition-\(UInt32.random(in: 0...UInt32.max))"
        defer { V1ZooKeeper.cleanup(chroot) }
        let connect = V1ZooKeeper.connectString! + chroot
        let cutOff = try ZKGateProcess(["--zookeeper", connect], wrapper: Partition.asOutsider)
        defer { cutOff.stop() }
        let other = try V1Server(["--zookeeper", connect])
        defer { other.stop() }
        let a = try RawHTTPClient(port: cutOff.port)
        let b = try other.connect()
        #expect(eventually(timeout: 10, every: 0.05) {
            (try? a.metric("zkgate_replica_peers")) == 1 && (try? b.metric("zkgate_replica_peers")) == 1
        })
        let device = try a.openSession(ttl: 10_000)
        let granted = try a.acquire("printer", session: device)
        let token = try #require(granted.token, "\(granted)")
        #expect(try a.post("/devices/dev1/online?parents=true", json: ["data": "yes", "mode": "ephemeral", "session": device]).status == 201)
        let czxid = try a.get("/devices/dev1/online").statInt("czxid")

        let rule = try Partition.cut()
        defer { Partition.heal(rule) }
        let cut = monotonicSeconds()
        // In doubt before any peer may adopt its session: it vouches for nothing.
        let refused = eventually(timeout: 5, every: 0.05) {
            guard let renewed = try? a.request("PUT", "/v1/sessions/\(device)") else { return false }
            return renewed.status == 503 && renewed.header("Retry-After") != nil
        }
        let inDoubtAfter = monotonicSeconds() - cut
        #expect(refused, "\(cutOff.stderr.text.suffix(2000))")
        #expect(inDoubtAfter < 1.5, "renewals refused \(inDoubtAfter) s after the cut")
        #expect(try a.request("GET", "/readyz").status == 503)
        #expect(try a.metric("zkgate_zookeeper_session_in_doubt") == 1)
        // The other replica adopts the cut-off one's session and serves the device.
        #expect(eventually(timeout: 10, every: 0.05) { (try? b.metric("zkgate_replica_adoptions_total")) == 1 },
            "\(other.process.stderr.text.suffix(2000))")
        for _ in 0..<3 {
            let renewed = try b.request("PUT", "/v1/sessions/\(device)")
            #expect(renewed.status == 200 && (renewed.object["lostLocks"] as? [Any])?.isEmpty == true, "\(renewed)")
            sleepSeconds(1)
        }
        // The device goes on renewing through the replica that can see the ensemble, so its
        // session outlives the partition however long healing takes.
        let renewing = Atomic<Bool>(true)
        let otherPort = other.port
        let renewer = Thread {
            while renewing.load(ordering: .relaxed) {
                _ = try? RawHTTPClient(port: otherPort).request("PUT", "/v1/sessions/\(device)")
                sleepSeconds(1)
            }
        }
        renewer.start()
        defer {
            renewing.store(false, ordering: .relaxed)
            while renewer.isExecuting { sleepSeconds(0.05) }
        }
        // Nobody else gets the lock, through either replica: one holder.
        let rival = try b.openSession(ttl: 10_000)
        let rivalThroughB = try b.acquire("printer", session: rival, wait: "0s")
        #expect(rivalThroughB.status == 409, "\(rivalThroughB)")
        let rivalThroughA = try a.acquire("printer", session: rival, wait: "0s")
        #expect(rivalThroughA.status == 503, "the cut-off replica grants nothing: \(rivalThroughA)")
        #expect(try b.request("GET", "/v1/locks/printer").holder.flatMap { intValue($0["token"]) } == token)

        // Healed: the cut-off replica takes its session back and serves again, no restart.
        Partition.heal(rule)
        #expect(eventually(timeout: 20, every: 0.1) { (try? a.request("GET", "/readyz").status) == 200 },
            "\(cutOff.stderr.text.suffix(2000))")
        #expect(eventually(timeout: 10, every: 0.1) { (try? a.metric("zkgate_replica_sessions_taken_back_total")) == 1 },
            "cut-off replica: \(cutOff.stderr.text.suffix(3000))\nother: \(other.process.stderr.text.suffix(2000))")
        let renewed = try a.request("PUT", "/v1/sessions/\(device)")
        #expect(renewed.status == 200 && (renewed.object["lostLocks"] as? [Any])?.isEmpty == true, "\(renewed)")
        #expect(try a.request("GET", "/v1/locks/printer").holder.flatMap { intValue($0["token"]) } == token)
        #expect(try a.get("/devices/dev1/online").statInt("czxid") == czxid)
        #expect(cutOff.exitStatus == nil, "the same process served throughout")
    }
}

/// Cutting a process off from the ensemble: it runs as `nobody`, whose packets to the members'
/// client ports an iptables rule drops.
enum Partition {
    static let outsider = "65534"
    static let asOutsider = ["/usr/bin/setpriv", "--reuid=\(outsider)", "--regid=\(outsider)", "--clear-groups", "--"]
    static let iptables = ["/usr/sbin/iptables", "/sbin/iptables"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let available = getuid() == 0 && iptables != nil && FileManager.default.isExecutableFile(atPath: asOutsider[0])

    /// The rule's arguments, after -I or -D.
    static func rule() -> String {
        let ports = (V1ZooKeeper.connectString ?? "").split(separator: ",").compactMap { $0.split(separator: ":").last }
            .map { String($0.prefix { $0.isNumber }) }
        return "OUTPUT -m owner --uid-owner \(outsider) -p tcp -m multiport --dports \(ports.joined(separator: ",")) -j DROP"
    }

    static func cut() throws -> String {
        let rule = rule()
        _ = try EnsembleScript.shell("\(iptables!) -I \(rule)")
        return rule
    }

    /// Removes the rule (again: harmless once it is gone).
    static func heal(_ rule: String) {
        _ = try? EnsembleScript.shell("while \(iptables!) -D \(rule) 2>/dev/null; do :; done")
    }
}
