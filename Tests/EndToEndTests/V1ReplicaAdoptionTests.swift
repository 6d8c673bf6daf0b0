import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A replica that stops is invisible to its devices: two zkgate processes on one chroot of the
/// 3-node ensemble; a device opens a session, an ephemeral node, a registration, a lock and a
/// candidacy through the first; the first stops (killed, or shut down); the device carries on
/// through the second. What its session owns must live on unchanged (the same nodes, the same
/// czxids, so the same fencing token and leadership), because the second adopted the first's
/// ZooKeeper session. Its tests kill processes and wait out session timeouts (half a minute
/// each), so they run in scripts/test.sh's fault step, alone.
@Suite(.serialized, .enabled(if: V1ZooKeeper.connectString != nil && EnsembleScript.faultTestsEnabled && Kazoo.available,
                             "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh"))
struct V1ReplicaAdoptionTests {
    /// What a device made through one replica, as read back.
    struct DeviceState: Equatable, CustomStringConvertible {
        var ephemeralCzxid: Int?
        var lockToken: Int?
        var leader: String?
        var instances: [String]

        var description: String {
            "ephemeral czxid \(ephemeralCzxid.map(String.init) ?? "none"), lock token \(lockToken.map(String.init) ?? "none"), "
                + "leader \(leader ?? "none"), instances \(instances)"
        }

        static func read(through client: RawHTTPClient) throws -> DeviceState {
            let node = try client.get("/devices/dev1/online")
            let lock = try client.request("GET", "/v1/locks/printer")
            let election = try client.request("GET", "/v1/elections/primary")
            let services = try client.request("GET", "/v1/services/api")
            return DeviceState(
                ephemeralCzxid: node.status == 200 ? node.statInt("czxid") : nil,
                lockToken: intValue(lock.holder?["token"]),
                leader: (election.object["leader"] as? [String: Any])?["value"] as? String,
                instances: ((services.object["instances"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
        }
    }

    /// Opens the device's session and everything it owns through `client`.
    static func makeDeviceState(_ client: RawHTTPClient) throws -> (session: String, state: DeviceState) {
        let session = try client.openSession(ttl: 15_000)
        let online = try client.post("/devices/dev1/online?parents=true", json: ["data": "yes", "mode": "ephemeral", "session": session])
        #expect(online.status == 201, "\(online)")
        let granted = try client.acquire("printer", session: session)
        #expect(granted.status == 200, "\(granted)")
        let campaign = try client.recipe("POST", "/v1/elections/primary", ["session": session, "value": "dev1", "wait": "0s"])
        #expect(campaign.status == 200, "\(campaign)")
        #expect(try client.recipe("PUT", "/v1/services/api/dev1", ["session": session, "address": "10.0.0.1", "port": 80]).status == 200)
        let state = try DeviceState.read(through: client)
        #expect(state.ephemeralCzxid != nil && state.lockToken == granted.token && state.leader == "dev1" && state.instances == ["dev1"],
            "\(state)")
        return (session, state)
    }

    /// The device renews through `client` every 3 s for `seconds`; every renewal must say
    /// nothing was lost.
    static func renew(_ session: String, through client: RawHTTPClient, for seconds: Double) throws {
        let start = monotonicSeconds()
        while monotonicSeconds() - start < seconds {
            let renewed = try client.request("PUT", "/v1/sessions/\(session)")
            #expect(renewed.status == 200, "\(renewed)")
            #expect((renewed.object["lostLocks"] as? [Any])?.isEmpty == true, "\(renewed.bodyText)")
            sleepSeconds(3)
        }
    }

    @Test(arguments: ["kill -9", "SIGTERM"])
    func whatADeviceOwnsOutlivesTheReplicaThatMadeIt(stop: String) throws {
        // Each sees the other's record (a handover needs someone to hand over to).
        let (first, second, chroot) = try V1ZooKeeper.replicas("adopt")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { first.stop() }
        defer { second.stop() }
        let (session, before) = try Self.makeDeviceState(try first.connect())
        let b = try second.connect()

        let stopped = monotonicSeconds()
        if stop == "kill -9" { _ = first.kill9() } else { _ = first.stop() }
        let adopted = eventually(timeout: 10, every: 0.05) { (try? b.metric("zkgate_replica_adoptions_total")) == 1 }
        let adoptedAfter = monotonicSeconds() - stopped
        #expect(adopted, "the second replica adopted the first's ZooKeeper session: \(second.process.stderr.text.suffix(2000))\nthe first's log: \(first.process.stderr.text.suffix(2000))")
        #expect(adoptedAfter < 2.5, "adopted \(adoptedAfter) s after the stop")

        // Past the first replica's ZooKeeper session timeout (10 s) and the device's TTL.
        try Self.renew(session, through: b, for: 25)
        let after = try DeviceState.read(through: b)
        #expect(after == before, "before the stop: \(before); after: \(after)")
        // The session lists what it owns through the replica that did not make it: the node,
        // the lock contender, the candidacy and the registration.
        let owned = try b.request("GET", "/v1/sessions/\(session)")
        let ephemerals = (owned.object["ephemerals"] as? [String]) ?? []
        #expect(ephemerals.count == 4 && ephemerals.contains("/devices/dev1/online"), "\(owned.bodyText)")
        let seen = try V1ZooKeeper.kazoo(
            "zk.sync(root); s = zk.exists(root + '/devices/dev1/online'); print(s.czxid if s else 'gone')", root: chroot)
        #expect(seen == before.ephemeralCzxid.map(String.init), "kazoo sees the same node")

        // Closed through the replica that adopted the session: everything goes, and the adopted
        // ZooKeeper session is let go of.
        #expect(try b.request("DELETE", "/v1/sessions/\(session)").status == 204)
        let gone = try DeviceState.read(through: b)
        #expect(gone == DeviceState(ephemeralCzxid: nil, lockToken: nil, leader: nil, instances: []), "\(gone)")
        let released = eventually(timeout: 10) { second.process.stderr.text.contains("let go of an adopted ZooKeeper session") }
        #expect(released, "\(second.process.stderr.text.suffix(2000))")
    }

    /// A replica frozen (cut off) long enough to be adopted takes its session back when it
    /// returns: the adopter lets go of its copy, nothing the device owns moves, and both
    /// replicas serve the device on.
    @Test func aReplicaThatComesBackTakesItsSessionBack() throws {
        let (first, second, chroot) = try V1ZooKeeper.replicas("adopt-return")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { first.stop() }
        defer { second.stop() }
        let a = try first.connect()
        let b = try second.connect()
        let (session, before) = try Self.makeDeviceState(a)

        kill(first.pid, SIGSTOP)
        #expect(eventually(timeout: 10, every: 0.05) { (try? b.metric("zkgate_replica_adoptions_total")) == 1 },
            "\(second.process.stderr.text.suffix(2000))")
        try Self.renew(session, through: b, for: 4)
        let resyncsBefore = Self.resyncs(first)
        kill(first.pid, SIGCONT)

        let a2 = try first.connect(timeout: 10)
        #expect(eventually(timeout: 10, every: 0.05) { (try? a2.metric("zkgate_replica_sessions_taken_back_total")) == 1 },
            "\(first.process.stderr.text.suffix(2000))")
        let released = eventually(timeout: 10) { second.process.stderr.text.contains("letting go of it") }
        #expect(released, "\(second.process.stderr.text.suffix(2000))")
        #expect(eventually(timeout: 10, every: 0.05) { (try? a2.request("GET", "/readyz").status) == 200 })
        try Self.renew(session, through: a2, for: 3)
        try Self.renew(session, through: b, for: 3)
        // The adopter waits before attaching again after the ensemble moved the session back,
        // and sees the record taken back meanwhile: the two do not take the session from each
        // other round and round (without the pause: about 20 reconnects in 2 s).
        let reconnects = Self.resyncs(first) - resyncsBefore
        print("take-back: the returning replica reconnected \(reconnects) times")
        #expect(reconnects <= 3, "\(first.process.stderr.text.suffix(3000))")
        #expect(try DeviceState.read(through: a2) == before)
        #expect(try DeviceState.read(through: b) == before)
        #expect(try a2.request("DELETE", "/v1/sessions/\(session)").status == 204)
        // Another replica sees the close once its change feed brings it.
        #expect(eventually(timeout: 5, every: 0.05) { (try? DeviceState.read(through: b))?.ephemeralCzxid == nil })
    }

    /// How many times a replica's client came back from a disconnect (each one resyncs its
    /// cache and says so).
    static func resyncs(_ replica: V1Server) -> Int {
        replica.process.stderr.text.components(separatedBy: "resynced after a ZooKeeper disconnect").count - 1
    }

    /// The device that went away with its replica is expired by the adopter at its TTL, and
    /// its nodes go with it, as ZooKeeper's own ephemerals would.
    @Test func aDeviceThatStopsWithItsReplicaExpiresOnTheAdopter() throws {
        let (first, second, chroot) = try V1ZooKeeper.replicas("adopt-expire")
        defer { V1ZooKeeper.cleanup(chroot) }
        defer { first.stop() }
        defer { second.stop() }
        let a = try first.connect()
        let b = try second.connect()
        let session = try a.openSession(ttl: 4_000)
        #expect(try a.post("/gone/node?parents=true", json: ["data": "x", "mode": "ephemeral", "session": session]).status == 201)
        _ = first.kill9()
        #expect(eventually(timeout: 10, every: 0.05) { (try? b.metric("zkgate_replica_adoptions_total")) == 1 })
        #expect(try b.get("/gone/node").status == 200, "kept while its session may still be renewed")
        let expired = eventually(timeout: 15) { (try? b.get("/gone/node").status) == 404 }
        #expect(expired, "expired on the adopter: \(second.process.stderr.text.suffix(2000))")
        #expect(try b.request("PUT", "/v1/sessions/\(session)").status == 404)
    }
}
