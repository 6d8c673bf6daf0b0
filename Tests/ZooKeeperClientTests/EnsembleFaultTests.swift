import Foundation
import TestSupport
import Testing
import ZooKeeperClient

/// Members killed under a live session. These disturb every client of the ensemble, so they
/// run in a step of their own (scripts/test.sh sets ZKGATE_FAULT_TESTS), never beside the
/// other ensemble suites.
@Suite(.serialized, .enabled(if: Ensemble.available && EnsembleScript.faultTestsEnabled, "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh"))
struct EnsembleFaultTests {
    /// The member number (1…3) behind a client port, in connect-string order.
    func member(of host: HostAddress) throws -> Int {
        let hosts = try ConnectString(parsing: Ensemble.connectString!).hosts
        guard let index = hosts.firstIndex(of: host) else { throw FaultTestFailure("\(host) is not in the ensemble") }
        return index + 1
    }

    /// Writes continuously until stopped; counts acknowledged writes and retryable failures.
    final class WriteStream: @unchecked Sendable {
        let lock = NSLock()
        var acknowledged: [Int] = []
        var lost = 0
        var other: [ZooKeeperError] = []
        var running = true

        func run(_ zk: ZooKeeperClient, _ root: String) async {
            var i = 0
            while lock.withLock({ running }) {
                do {
                    _ = try await zk.create("\(root)/w-\(i)", data: Array("\(i)".utf8))
                    lock.withLock { acknowledged.append(i) }
                } catch let error where error.isRetryable {
                    lock.withLock { lost += 1 }
                    try? await Task.sleep(nanoseconds: 50_000_000)
                } catch {
                    lock.withLock { other.append(error) }
                }
                i += 1
            }
        }
        func stop() { lock.withLock { running = false } }
    }

    func survive(killing pick: (ZooKeeperClient) throws -> Int) async throws {
        try EnsembleScript.run("wait")
        let zk = try await Ensemble.client(timeoutMs: 12_000)
        let root = Ensemble.uniquePath("fault")
        _ = try await zk.create(root, data: [])
        _ = try await zk.create(root + "/mine", data: [], mode: .ephemeral)
        try await zk.addWatch(root + "/watched", mode: .persistent)
        let session = zk.sessionId
        let events = zk.events()
        let stream = WriteStream()
        let writer = Task { await stream.run(zk, root) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let victim = try pick(zk)
        let wasConnectedToVictim = try member(of: zk.connectedHost!) == victim
        try EnsembleScript.run("kill", "\(victim)")
        defer {
            _ = try? EnsembleScript.run("start-member", "\(victim)")
            _ = try? EnsembleScript.run("wait")
        }
        // A follower also drops its clients while the ensemble elects a new leader.
        let suspended = await ZooKeeperClient.firstEvent(events, timeoutMs: 15_000) { $0 == .state(.suspended) }
        if wasConnectedToVictim { #expect(suspended != nil, "the connection to the killed member is noticed") }
        if suspended != nil {
            let back = await ZooKeeperClient.firstEvent(events, timeoutMs: 15_000) {
                if case .state(.connected(let id, _, _)) = $0 { id == session } else { false }
            }
            #expect(back != nil, "reconnected with the same session")
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        stream.stop()
        await writer.value
        #expect(zk.sessionId == session)
        #expect(stream.other.isEmpty, "only retryable failures: \(stream.other)")
        // Every acknowledged write is there.
        let survivors = Set(try await zk.getChildren(root).children)
        for i in stream.acknowledged { #expect(survivors.contains("w-\(i)"), "acknowledged write \(i) lost") }
        #expect(try await zk.exists(root + "/mine") != nil, "the session's ephemeral survived")
        // The persistent watch was restored on the new member.
        let other = try await Ensemble.client()
        _ = try await other.create(root + "/watched", data: [])
        let fired = await ZooKeeperClient.firstEvent(events) { $0 == .watch(.init(type: .nodeCreated, state: .syncConnected, path: root + "/watched")) }
        #expect(fired != nil, "the persistent watch fires after failover")
        await Ensemble.deleteTree(other, root)
        await other.close()
        await zk.close()
    }

    @Test func killingTheConnectedMemberKeepsTheSessionAndItsWatches() async throws {
        try await survive { zk in try member(of: zk.connectedHost!) }
    }

    @Test func killingTheLeaderKeepsTheSession() async throws {
        try await survive { _ in
            guard let leader = Int(try EnsembleScript.run("leader")) else { throw FaultTestFailure("no leader") }
            return leader
        }
    }
}

struct FaultTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
