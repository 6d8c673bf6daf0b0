@testable import Coordination
import Testing

@Suite("DataTree: sequential names")
struct SequentialTests {
    private func createdPath(_ results: [OperationResult]) -> String? {
        guard case .created(let p, _)? = results.first else { return nil }
        return p.string
    }

    @Test func namesCountCreationsUnderTheParent() {
        var d = Driver()
        d.mkdirs("/q")
        let job = prefix("/q/job-")
        #expect(createdPath(d.succeed(.create(path: job, data: [], mode: .persistentSequential))) == "/q/job-0000000000")
        #expect(createdPath(d.succeed(.create(path: job, data: [], mode: .persistentSequential))) == "/q/job-0000000001")
        // A plain create also moves the counter.
        d.mkdirs("/q/plain")
        #expect(createdPath(d.succeed(.create(path: job, data: [], mode: .persistentSequential))) == "/q/job-0000000003")
    }

    @Test func deletionsLeaveGapsAndDoNotMoveTheCounter() {
        var d = Driver()
        d.mkdirs("/q")
        let p = prefix("/q/")
        d.succeed(.create(path: p, data: [], mode: .persistentSequential))  // 0000000000
        d.succeed(.create(path: p, data: [], mode: .persistentSequential))  // 0000000001
        d.succeed(.delete(path: path("/q/0000000001"), version: -1))
        d.succeed(.delete(path: path("/q/0000000000"), version: -1))
        #expect(createdPath(d.succeed(.create(path: p, data: [], mode: .persistentSequential))) == "/q/0000000002")
        #expect(d.tree.children(of: path("/q")) == ["0000000002"])
        // Three creations and two deletions: the reported cversion counts all five changes.
        #expect(d.stat("/q")?.cversion == 5)
    }

    @Test func failedCreatesDoNotMoveTheCounter() {
        var d = Driver()
        d.mkdirs("/q")
        let p = prefix("/q/")
        _ = d.fail(.create(path: p, data: [], mode: .persistentSequential), .check(path: path("/none"), version: -1))
        #expect(createdPath(d.succeed(.create(path: p, data: [], mode: .persistentSequential))) == "/q/0000000000")
    }

    @Test func everySequentialModeNumbers() {
        var d = Driver()
        d.openSession(1)
        d.mkdirs("/q")
        let p = prefix("/q/n")
        let results = d.succeed(
            .create(path: p, data: [], mode: .persistentSequential),
            .create(path: p, data: [], mode: .ephemeralSequential),
            .create(path: p, data: [], mode: .ttlSequential, ttlMs: 60_000),
            session: 1)
        #expect(results.map { if case .created(let p, _) = $0 { p.string } else { "" } }
            == ["/q/n0000000000", "/q/n0000000001", "/q/n0000000002"])
        #expect(d.tree.ephemeralType(at: path("/q/n0000000001")) == .session(1))
        #expect(d.tree.ephemeralType(at: path("/q/n0000000002")) == .ttl(60_000))
    }

    @Test func sequentialChildrenOfTheRoot() {
        var d = Driver()
        #expect(createdPath(d.succeed(.create(path: prefix("/"), data: [], mode: .persistentSequential))) == "/0000000000")
        #expect(createdPath(d.succeed(.create(path: prefix("/."), data: [], mode: .persistentSequential))) == "/.0000000001")
    }

    @Test func aTakenSequentialNameIsNodeExists() {
        // ZooKeeper does not skip names that are already taken (ZOOKEEPER-1046 territory).
        var d = Driver()
        d.mkdirs("/q", "/q/x0000000001")
        #expect(
            error(d.fail(.create(path: prefix("/q/x"), data: [], mode: .persistentSequential)))
                == .nodeExists(path("/q/x0000000001")))
        #expect(createdPath(d.succeed(.create(path: path("/q/y"), data: [], mode: .persistent))) == "/q/y")
        #expect(createdPath(d.succeed(.create(path: prefix("/q/x"), data: [], mode: .persistentSequential))) == "/q/x0000000002")
    }

    @Test(arguments: [
        (Int32(0), "0000000000"), (42, "0000000042"), (999_999_999, "0999999999"),
        (Int32.max, "2147483647"), (Int32.min, "-2147483648"), (-2_147_483_647, "-2147483647"),
        (-5, "-000000005"), (-1, "-000000001"), (-123_456_789, "-123456789"),
    ])
    func suffixIsJavaPercent010d(_ counter: Int32, suffix: String) {
        #expect(DataTree.sequenceSuffix(counter) == suffix)
    }

    @Test func theCounterWrapsPastInt32Max() {
        var d = Driver()
        d.mkdirs("/q")
        d.tree.modifyNode(at: path("/q")) { $0.stat.cversion = Int32.max }
        let p = prefix("/q/")
        #expect(createdPath(d.succeed(.create(path: p, data: [], mode: .persistentSequential))) == "/q/2147483647")
        #expect(createdPath(d.succeed(.create(path: p, data: [], mode: .persistentSequential))) == "/q/-2147483648")
        #expect(createdPath(d.succeed(.create(path: p, data: [], mode: .persistentSequential))) == "/q/-2147483647")
        // Stored cversion is now Int32.min + 2; Java reports (Int32.min + 2) × 2 − 3 with int wrap.
        #expect(d.stat("/q")?.cversion == 1)
        #expect(d.tree.children(of: path("/q")) == ["-2147483647", "-2147483648", "2147483647"])
    }
}
