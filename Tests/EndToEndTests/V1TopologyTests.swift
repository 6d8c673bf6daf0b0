import Foundation
import Synchronization
import TestSupport
import Testing

/// The load-balanced topology of deploy/topology.sh: HAProxy in front of three zkgate
/// replicas on the test ensemble, routing by /readyz. A rolling restart (each replica in turn
/// stopped with SIGTERM and started again) must cost the clients nothing: every request
/// answered 2xx, writes and reads alike, and a long-poll re-issued with its index sees the last
/// write; a replica killed costs only the writes in flight on it. They restart and kill
/// processes, so they run in scripts/test.sh's fault step.
@Suite(.serialized, .enabled(if: V1ZooKeeper.connectString != nil && EnsembleScript.faultTestsEnabled && Topology.available,
                             "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh, and haproxy"))
struct V1TopologyTests {
    /// What the clients saw: answers that count as success, writes whose outcome is unknown
    /// (503 + Retry-After, `connection-loss`: the replica went away under them), and failures.
    final class Tally: Sendable {
        let counts = Mutex<(ok: Int, unknown: Int, failures: [String])>((0, 0, []))

        func ok() { counts.withLock { $0.ok += 1 } }
        func unknown() { counts.withLock { $0.unknown += 1 } }
        func fail(_ what: String) { counts.withLock { $0.failures.append(what) } }
    }

    /// Writers through HAProxy: each sets its own node to 1, 2, 3, ... and reads it back
    /// (with the write's index, so another replica catches up first), until stopped.
    final class Load {
        final class State: Sendable {
            let stop = Atomic<Bool>(false)
            let tally = Tally()
            /// Per writer, the last value acknowledged and the last one attempted.
            let written = Mutex<[Int: (acknowledged: Int, attempted: Int)]>([:])
        }
        let state: State
        let threads: [Thread]

        init(port: UInt16, writers: Int = 6, unknownAllowed: Bool) {
            let state = State()
            self.state = state
            threads = (0..<writers).map { worker in
                Thread {
                    var client: RawHTTPClient?
                    var n = 0
                    while !state.stop.load(ordering: .relaxed) {
                        do {
                            let connection = try client ?? RawHTTPClient(port: port)
                            client = connection
                            n += 1
                            state.written.withLock { $0[worker, default: (0, 0)].attempted = n }
                            let put = try connection.put("/topology/w\(worker)?parents=true", json: ["data": "\(n)"])
                            if unknownAllowed, put.status == 503, put.header("Retry-After") != nil,
                                (put.object["type"] as? String)?.hasSuffix(":connection-loss") == true
                            {
                                state.tally.unknown()
                                client = nil
                                continue
                            }
                            guard put.status == 200 || put.status == 201 else {
                                state.tally.fail("PUT \(put.status) \(put.bodyText.prefix(200))")
                                continue
                            }
                            state.tally.ok()
                            state.written.withLock { $0[worker, default: (0, 0)].acknowledged = n }
                            // Another replica may read from a member behind the write: the
                            // write's index asks it to catch up first (read-your-writes).
                            let index = put.header("Zkgate-Index") ?? "0"
                            let get = try connection.get("/topology/w\(worker)", headers: [("Zkgate-Index", index)])
                            guard get.status == 200, get.dataText == "\(n)" else {
                                state.tally.fail("GET \(get.status) \(get.dataText ?? "") after PUT \(n)")
                                continue
                            }
                            state.tally.ok()
                        } catch {
                            // HAProxy closes some client connections unanswered when their
                            // replica dies under a write: its outcome is unknown, as a 503's.
                            let wrote = state.written.withLock { $0[worker]?.acknowledged != n }
                            if unknownAllowed, wrote, "\(error)".contains("connection closed while waiting for the status line") {
                                state.tally.unknown()
                            } else {
                                state.tally.fail("\(error)")
                            }
                            client = nil
                        }
                    }
                }
            }
            threads.forEach { $0.start() }
        }

        func finish() -> (ok: Int, unknown: Int, failures: [String]) {
            state.stop.store(true, ordering: .relaxed)
            while threads.contains(where: \.isExecuting) { sleepSeconds(0.05) }
            return state.tally.counts.withLock { $0 }
        }
    }

    @Test func aRollingRestartCostsTheClientsNothing() throws {
        let topology = try Topology()
        defer { topology.stop() }
        try topology.run("start")
        let load = Load(port: topology.port, unknownAllowed: false)
        sleepSeconds(1)
        let restarted = try topology.run("rolling-restart")
        sleepSeconds(1)
        let (ok, _, failures) = load.finish()
        #expect(failures.isEmpty, "\(failures.count) failed of \(ok + failures.count): \(failures.prefix(10))")
        #expect(ok > 500, "requests answered: \(ok); \(restarted)")
        // A long-poll from before the restart's last write, re-issued with its index, sees it.
        let reader = try RawHTTPClient(port: topology.port)
        let last = try #require(load.state.written.withLock { $0[0]?.acknowledged })
        let polled = try reader.get("/topology/w0?index=1&wait=5s")
        #expect(polled.status == 200 && polled.dataText == "\(last)", "\(polled)")
    }

    /// A replica killed under load: reads are sent again elsewhere, and the only answers that
    /// are not successes are writes that were in flight on the dead replica, each a 503 with
    /// Retry-After saying its outcome is unknown (or, from HAProxy, its connection closed
    /// unanswered); no write acknowledged is lost.
    @Test func aReplicaKilledUnderLoadCostsOnlyTheWritesInFlight() throws {
        let topology = try Topology()
        defer { topology.stop() }
        try topology.run("start")
        let load = Load(port: topology.port, unknownAllowed: true)
        sleepSeconds(1)
        try topology.run("kill 2")
        sleepSeconds(3)
        try topology.run("start-replica 2")
        sleepSeconds(1)
        let (ok, unknown, failures) = load.finish()
        #expect(failures.isEmpty, "\(failures.count) failed of \(ok + unknown + failures.count): \(failures.prefix(10))")
        #expect(ok > 300 && unknown <= 6, "answered \(ok), unknown outcome \(unknown)")
        let reader = try RawHTTPClient(port: topology.port)
        for (worker, values) in load.state.written.withLock({ $0 }) {
            let seen = try reader.get("/topology/w\(worker)?consistent=true")
            let value = Int(seen.dataText ?? "") ?? -1
            #expect(value >= values.acknowledged && value <= values.attempted, "writer \(worker): \(value), \(values)")
        }
    }
}

/// deploy/topology.sh on the tests' ensemble (or on a private one), with its own folder, ports
/// and chroot.
final class Topology {
    static let script: String? = {
        guard let ensemble = EnsembleScript.path else { return nil }
        return (ensemble as NSString).deletingLastPathComponent + "/topology.sh"
    }()
    static let available = script != nil && FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy")

    let folder: TemporaryDirectory
    /// HAProxy's port; replica N listens on port + N.
    let port: UInt16
    let chroot: String
    let ensemble: PrivateEnsemble?

    init(ensemble: PrivateEnsemble? = nil) throws {
        folder = try TemporaryDirectory(prefix: TemporaryDirectory.backgroundRoot == nil ? "zkgate-topology" : "topology",
                                        in: TemporaryDirectory.backgroundRoot)
        port = UInt16.random(in: 30_000...39_000) & ~3
        chroot = "/zkgate-e2e-topology-\(UInt32.random(in: 0...UInt32.max))"
        self.ensemble = ensemble
    }

    /// The ensemble's connect string with the replicas' chroot, for ZooKeeper's own clients.
    var connectString: String { (ensemble?.connectString ?? V1ZooKeeper.connectString!) + chroot }

    /// The replicas' own ports, 1...3.
    var replicaPorts: [UInt16] { (1...3).map { port + $0 } }

    @discardableResult
    func run(_ command: String) throws -> String {
        let binary = try ZKGateProcess.binaryPath()
        return try EnsembleScript.shell(
            "\(ensemble?.environment ?? "") TOPOLOGY_DIR='\(folder.path)' HAPROXY_PORT=\(port) CHROOT='\(chroot)' "
                + "ZKGATE_BIN='\(binary)' DRAIN=1 bash '\(Self.script!)' \(command)")
    }

    func stop() {
        _ = try? run("stop")
        if ensemble == nil { V1ZooKeeper.cleanup(chroot) }
    }
}
