import Coordination
import TestSupport

/// A seeded random workload over every transaction shape, including failing ones and the expiry
/// sweeps, recorded as the log a store would write.
struct Workload {
    struct Entry {
        var transaction: Transaction
        var zxid: Int64
        var time: Int64
        var outcome: TransactionOutcome
    }

    private(set) var tree = DataTree()
    private(set) var log: [Entry] = []
    private var generator: SeededGenerator
    private var known: Set<ZNodePath> = [.root]
    private var zxid: Int64 = 0
    private var time: Int64 = 1_700_000_000_000
    private var nextSession: Int64 = 0x100

    private static let names = ["a", "b", "c", "lock-", "é", "e\u{301}", "x y", "0", "...", "long-name-node"]

    /// Runs `steps` random transactions (expiry sweeps count as one step each).
    init(seed: UInt64, steps: Int) {
        generator = SeededGenerator(seed: seed)
        for _ in 0..<steps { step() }
    }

    private mutating func random(_ range: Range<Int>) -> Int { Int.random(in: range, using: &generator) }

    private mutating func pick<T>(_ values: [T]) -> T { values[random(0..<values.count)] }

    private mutating func step() {
        time += Int64(random(1..<400))
        switch random(0..<100) {
        case 0..<40: record(.operations([randomCreate()], session: randomSession()))
        case 40..<52: record(.operations([randomDelete()], session: randomSession()))
        case 52..<67: record(.operations([randomSetData()], session: randomSession()))
        case 67..<71: record(.operations([randomCheck()], session: randomSession()))
        case 71..<84:
            var operations: [Operation] = []
            for _ in 0..<random(0..<5) { operations.append(randomOperation()) }
            record(.operations(operations, session: randomSession()))
        case 84..<90:
            // Mostly fresh ids, sometimes a duplicate, which must fail.
            let id = random(0..<5) == 0 ? nextSession - 1 : nextSession
            nextSession += 1
            record(.createSession(id: id, timeoutMs: Int64(random(1..<60_000))))
        case 90..<94:
            let live = tree.sessions.keys.sorted()
            let id = live.isEmpty || random(0..<4) == 0 ? 0x7777 : pick(live)
            record(.closeSession(id: id))
        case 94..<97:
            for transaction in tree.expiredContainers() { record(transaction) }
        default:
            for transaction in tree.expiredTTLNodes(now: time) { record(transaction) }
        }
    }

    private mutating func record(_ transaction: Transaction) {
        zxid += 1
        let outcome = tree.apply(transaction, zxid: zxid, time: time)
        for event in outcome.events {
            switch event.kind {
            case .created: known.insert(event.path)
            case .deleted: known.remove(event.path)
            case .dataChanged, .childrenChanged: break
            }
        }
        log.append(Entry(transaction: transaction, zxid: zxid, time: time, outcome: outcome))
    }

    private mutating func randomSession() -> Int64? {
        let live = tree.sessions.keys.sorted()
        switch random(0..<10) {
        case 0: return 0x5555  // never created: every write fails with sessionExpired
        case 1..<6: return live.isEmpty ? nil : pick(live)
        default: return nil
        }
    }

    /// A known path, or now and then one under it that does not exist.
    private mutating func randomPath() -> ZNodePath {
        let base = pick(known.sorted())
        if random(0..<12) == 0, let missing = try? base.appending("missing"), !known.contains(missing) {
            return missing
        }
        return base
    }

    private mutating func randomData() -> [UInt8] {
        (0..<random(0..<24)).map { _ in UInt8(truncatingIfNeeded: random(0..<256)) }
    }

    private mutating func randomVersion(of path: ZNodePath) -> Int32 {
        let actual = tree.node(at: path)?.stat.version ?? 0
        switch random(0..<10) {
        case 0..<5: return Operation.anyVersion
        case 5..<8: return actual
        default: return actual + 1
        }
    }

    private mutating func randomOperation() -> Operation {
        switch random(0..<4) {
        case 0: randomCreate()
        case 1: randomDelete()
        case 2: randomSetData()
        default: randomCheck()
        }
    }

    private mutating func randomCreate() -> Operation {
        let parent = randomPath()
        let mode = pick(CreateMode.allCases)
        let name = pick(Self.names)
        let target: ZNodePath
        if mode.isSequential && random(0..<3) == 0 {
            target = try! ZNodePath(validating: parent.isRoot ? "/" : parent.string + "/", sequential: true)
        } else {
            target = try! parent.appending(name)
        }
        let ttl: Int64? = mode.isTTL ? Int64(random(0..<3_000)) : (random(0..<50) == 0 ? 5 : nil)
        return .create(path: target, data: randomData(), mode: mode, ttlMs: ttl)
    }

    private mutating func randomDelete() -> Operation {
        let target = randomPath()
        return .delete(path: target, version: randomVersion(of: target))
    }

    private mutating func randomSetData() -> Operation {
        let target = randomPath()
        return .setData(path: target, data: randomData(), version: randomVersion(of: target))
    }

    private mutating func randomCheck() -> Operation {
        let target = randomPath()
        return .check(path: target, version: randomVersion(of: target))
    }
}
