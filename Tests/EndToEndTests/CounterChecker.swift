import Foundation
import Synchronization
import TestSupport
import Testing

/// Clients that increment one counter by compare-and-set, and the checker that holds the
/// final value to what they were told, in the manner of Jepsen's counter test. Each increment
/// reads the counter with `?consistent=true` and writes it plus one with `If-Match`, so in a
/// linearizable history the counter ends at the number of increments applied: every
/// acknowledged one plus some of the unknown ones (a 503 from a lost connection, or no answer,
/// may or may not have been applied, as the API says).
final class CounterClients: Sendable {
    struct History: Sendable {
        var operations = 0
        var acknowledged = 0
        var unknown = 0
        var failedCAS = 0
        var unexpected: [String] = []
        /// The values acknowledged writes wrote: each one at most once, and none above the end.
        var acknowledgedValues: [Int] = []
    }

    let history = Mutex(History())
    let running = Atomic<Bool>(true)
    let finished = Atomic<Int>(0)
    let node: String
    let count: Int

    /// Starts one client per port in `ports` (a port may repeat), each on its own thread.
    static func start(node: String, ports: [UInt16]) -> CounterClients {
        let clients = CounterClients(node: node, count: ports.count)
        for (i, port) in ports.enumerated() {
            let thread = Thread { clients.run(port: port) }
            thread.name = "counter-client-\(i)"
            thread.start()
        }
        return clients
    }

    private init(node: String, count: Int) {
        self.node = node
        self.count = count
    }

    private func run(port: UInt16) {
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
                // No answer (a replica killed under it, its connection closed): the write may
                // or may not have been applied.
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
                case 503 where answer.header("Retry-After") != nil: h.unknown += 1
                default: h.unexpected.append("PUT \(answer.status) \(answer.bodyText.prefix(200))")
                }
            }
            if answer.status == 503 { sleepSeconds(0.05) }
        }
    }

    /// Stops the clients and waits for them; false when one is still stuck after `timeout`.
    func finish(timeout: Double = 40) -> Bool {
        running.store(false, ordering: .relaxed)
        return eventually(timeout: timeout, every: 0.05) { self.finished.load(ordering: .relaxed) == self.count }
    }

    /// The checker: acknowledged ≤ final ≤ acknowledged + unknown; every replica reads the same
    /// final value; no value was acknowledged twice (the counter never went back) and none
    /// above the end. `finals` are the values read at the end, one per replica.
    static func violations(_ history: History, finals: [Int], replicas: Int) -> [String] {
        var found: [String] = []
        guard let final = finals.first else { return ["the counter could not be read at the end"] }
        if finals.count != replicas || Set(finals).count != 1 { found.append("the replicas read different counters: \(finals)") }
        if final < history.acknowledged {
            found.append("final \(final) < acknowledged \(history.acknowledged): acknowledged increments lost")
        }
        if final > history.acknowledged + history.unknown {
            found.append("final \(final) > acknowledged + unknown \(history.acknowledged + history.unknown)")
        }
        let values = history.acknowledgedValues
        let duplicates = values.count - Set(values).count
        if duplicates > 0 { found.append("\(duplicates) values acknowledged more than once: the counter went back") }
        if let highest = values.max(), highest > final {
            found.append("value \(highest) acknowledged, but the counter ends at \(final)")
        }
        return found
    }

    /// One line for the run's log: operations, acknowledged, unknown, failed CAS, final, lost.
    static func summary(_ history: History, final: Int) -> String {
        "\(history.operations) operations, acknowledged \(history.acknowledged), unknown \(history.unknown), "
            + "failed CAS \(history.failedCAS), final \(final), lost \(max(0, history.acknowledged - final))"
    }
}

/// Leader failovers driven through deploy/zk-ensemble.sh: `run` runs one of its commands
/// (`leader`, `kill 2`, `start-member 2`, `wait`) on the ensemble under test.
enum LeaderFailover {
    /// Kills the leader (and `alsoKill - 1` other members with it, at once), restarts them 8 s
    /// later, kills the new leader (and as many others) 4 s after that restart, and restarts
    /// them once a leader is elected without them. On ZooKeeper 3.8.0–3.8.4 a member that had
    /// just rejoined could win the second election with its DIFF sync not yet on disk, and the
    /// others then truncated committed transactions (ZOOKEEPER-4643, -4646, -4785). Returns
    /// the members killed.
    static func double(killing alsoKill: Int = 1, members: Int = 3, _ script: (String) throws -> String,
                       log: (String) -> Void) throws -> [Int] {
        @discardableResult func run(_ command: String) throws -> String { try script(command) }
        // The leader and members other than those just restarted: these must be left to win
        // the second election, the case that loses transactions on 3.8.0.
        func victims(sparing spared: [Int] = []) throws -> [Int] {
            let leader = try #require(Int(try run("leader")))
            let others = (1...members).filter { $0 != leader && !spared.contains($0) }.shuffled()
            return [leader] + others.prefix(alsoKill - 1)
        }
        func names(_ numbers: [Int]) -> String { numbers.map(String.init).joined(separator: " ") }
        let first = try victims()
        try run("kill \(names(first))")
        log("killed \(first.count == 1 ? "leader" : "leader and others") \(first)")
        sleepSeconds(8)
        for member in first { try run("start-member \(member)") }
        let restarted = monotonicSeconds()
        log("restarted \(first)")
        try run("wait")   // a leader, and the restarted members synced as followers
        sleepSeconds(4 - (monotonicSeconds() - restarted))
        let second = try victims(sparing: first)
        try run("kill \(names(second))")
        log("killed \(second.count == 1 ? "leader" : "leader and others") \(second)")
        try run("wait")   // the others elect one of themselves
        log("leader \(try run("leader")) elected")
        for member in second { try run("start-member \(member)") }
        try run("wait")
        log("restarted \(second), all serving")
        return first + second
    }
}

/// The counter checker itself, on histories made up to break each rule.
struct CounterCheckerTests {
    @Test func theCheckerFindsLostAndRepeatedIncrements() {
        var h = CounterClients.History()
        h.acknowledged = 3
        h.unknown = 1
        h.acknowledgedValues = [1, 2, 4]
        #expect(CounterClients.violations(h, finals: [4, 4], replicas: 2).isEmpty)
        #expect(CounterClients.violations(h, finals: [3, 3], replicas: 2).count == 1)    // 4 acknowledged, ends at 3
        #expect(CounterClients.violations(h, finals: [2, 2], replicas: 2).count == 2)    // and increments lost
        #expect(CounterClients.violations(h, finals: [5, 5], replicas: 2).count == 1)    // more than was sent
        #expect(CounterClients.violations(h, finals: [4, 5], replicas: 2).count == 1)    // replicas disagree
        #expect(CounterClients.violations(h, finals: [4], replicas: 2).count == 1)       // one unread
        h.acknowledgedValues = [1, 2, 2]
        #expect(CounterClients.violations(h, finals: [4, 4], replicas: 2).count == 1)    // went back
    }
}
