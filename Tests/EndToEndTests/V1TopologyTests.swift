import Foundation
import Synchronization
import TestSupport
import Testing

/// The load-balanced topology of deploy/topology.sh: HAProxy in front of three zkgate
/// replicas on the test ensemble, routing by /readyz. A rolling restart (each replica in turn
/// stopped with SIGTERM and started again) must cost the clients nothing: every request
/// answered 2xx, writes and reads alike, and a long-poll re-issued with its index sees the last
/// write. It restarts processes for about 20 s, so it runs in scripts/test.sh's fault step.
@Suite(.serialized, .enabled(if: V1ZooKeeper.connectString != nil && EnsembleScript.faultTestsEnabled && Topology.available,
                             "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh, and haproxy"))
struct V1TopologyTests {
    /// What the clients saw: answers by status, and what was not an answer at all.
    final class Tally: Sendable {
        let counts = Mutex<(ok: Int, failures: [String])>((0, []))

        func ok() { counts.withLock { $0.ok += 1 } }
        func fail(_ what: String) { counts.withLock { $0.failures.append(what) } }
    }

    @Test func aRollingRestartCostsTheClientsNothing() throws {
        let topology = try Topology()
        defer { topology.stop() }
        try topology.run("start")
        let stop = Atomic<Bool>(false)
        let tally = Tally()
        let lastWritten = Mutex<[Int: Int]>([:])
        let port = topology.port
        // Writers: each sets its own node over and over and reads it back, over keep-alive
        // connections through HAProxy.
        let writers = (0..<6).map { worker in
            Thread {
                var client: RawHTTPClient?
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    do {
                        let connection = try client ?? RawHTTPClient(port: port)
                        client = connection
                        n += 1
                        let put = try connection.put("/topology/w\(worker)?parents=true", json: ["data": "\(n)"])
                        guard put.status == 200 || put.status == 201 else { tally.fail("PUT \(put.status) \(put.bodyText.prefix(200))"); continue }
                        tally.ok()
                        lastWritten.withLock { $0[worker] = n }
                        // Another replica may read from a member behind the write: the
                        // write's index asks it to catch up first (read-your-writes).
                        let index = put.header("Zkgate-Index") ?? "0"
                        let get = try connection.get("/topology/w\(worker)", headers: [("Zkgate-Index", index)])
                        guard get.status == 200, get.dataText == "\(n)" else { tally.fail("GET \(get.status) \(get.dataText ?? "") after PUT \(n)"); continue }
                        tally.ok()
                    } catch {
                        tally.fail("\(error)")
                        client = nil
                    }
                }
            }
        }
        writers.forEach { $0.start() }
        sleepSeconds(1)
        let restarted = try topology.run("rolling-restart")
        sleepSeconds(1)
        stop.store(true, ordering: .relaxed)
        while writers.contains(where: \.isExecuting) { sleepSeconds(0.05) }

        let (ok, failures) = tally.counts.withLock { ($0.ok, $0.failures) }
        #expect(failures.isEmpty, "\(failures.count) failed of \(ok + failures.count): \(failures.prefix(10))")
        #expect(ok > 500, "requests answered: \(ok); \(restarted)")
        // A long-poll from before the restart's last write, re-issued with its index, sees it.
        let reader = try RawHTTPClient(port: topology.port)
        let last = try #require(lastWritten.withLock { $0[0] })
        let polled = try reader.get("/topology/w0?index=1&wait=5s")
        #expect(polled.status == 200 && polled.dataText == "\(last)", "\(polled)")
    }
}

/// deploy/topology.sh on the tests' ensemble, with its own folder, ports and chroot.
final class Topology {
    static let script: String? = {
        guard let ensemble = EnsembleScript.path else { return nil }
        return (ensemble as NSString).deletingLastPathComponent + "/topology.sh"
    }()
    static let available = script != nil && FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy")

    let folder: TemporaryDirectory
    let port: UInt16
    let chroot: String

    init() throws {
        folder = try TemporaryDirectory(prefix: "zkgate-topology")
        port = UInt16.random(in: 30_000...39_000) & ~3
        chroot = "/zkgate-e2e-topology-\(UInt32.random(in: 0...UInt32.max))"
    }

    @discardableResult
    func run(_ command: String) throws -> String {
        let binary = try ZKGateProcess.binaryPath()
        return try EnsembleScript.shell(
            "TOPOLOGY_DIR='\(folder.path)' HAPROXY_PORT=\(port) CHROOT='\(chroot)' ZKGATE_BIN='\(binary)' DRAIN=1 "
                + "bash '\(Self.script!)' \(command)")
    }

    func stop() {
        _ = try? run("stop")
        V1ZooKeeper.cleanup(chroot)
    }
}
