@testable import Coordination
import Testing

@Suite("DataTree snapshots")
struct SnapshotTests {
    @Test func emptyTreeLayout() {
        let root: [UInt8] = [0, 0, 0, 1, 0x2F, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 60)
        let header = Array("ZKDT".utf8) + [1] + [UInt8](repeating: 0, count: 8)  // magic, format, lastZxid
        #expect(DataTree().snapshot() == header + [0, 0, 0, 0] + [0, 0, 0, 1] + root)  // no sessions, one node
    }

    @Test func nodeLayout() {
        var d = Driver()
        d.openSession(0x0A)  // zxid 1
        d.succeed(.create(path: path("/e"), data: [7], mode: .ephemeral), session: 0x0A)  // zxid 2, time 1010
        let bytes = d.tree.snapshot()
        let sessions: [UInt8] = [0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 0x0A] + [0, 0, 0, 0, 0, 0, 0x75, 0x30]
        let e: [UInt8] =
            [0, 0, 0, 2, 0x2F, 0x65] + [0, 0, 0, 1, 7]
            + [0, 0, 0, 0, 0, 0, 0, 2] + [0, 0, 0, 0, 0, 0, 0, 2]  // czxid, mzxid
            + [0, 0, 0, 0, 0, 0, 0x03, 0xF2] + [0, 0, 0, 0, 0, 0, 0x03, 0xF2]  // ctime, mtime 1010
            + [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]  // version, cversion, aversion
            + [0, 0, 0, 0, 0, 0, 0, 0x0A]  // ephemeralOwner
            + [0, 0, 0, 0, 0, 0, 0, 2]  // pzxid
        #expect(Array(bytes[13..<33]) == sessions)
        #expect(Array(bytes.suffix(e.count)) == e)
        // The root's stored cversion (1) and pzxid (2) sit just before /e.
        let root = bytes.dropLast(e.count).suffix(28)
        #expect(
            Array(root)
                == [0, 0, 0, 0] + [0, 0, 0, 1] + [0, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [0, 0, 0, 0, 0, 0, 0, 2])
    }

    @Test func aTreeOfEveryKindRoundTrips() throws {
        var d = Driver()
        d.openSession(1)
        d.openSession(0x7000_0000_0000_0002, timeoutMs: 12)
        d.mkdirs("/a", "/a/b", "/é", "/e\u{301}")
        d.succeed(.setData(path: path("/a"), data: bytes("config"), version: 0))
        d.succeed(.create(path: prefix("/a/b/"), data: [], mode: .ephemeralSequential), session: 1)
        d.succeed(.create(path: path("/c"), data: [], mode: .container))
        d.succeed(.create(path: path("/c/x"), data: [], mode: .persistent))
        d.succeed(.delete(path: path("/c/x"), version: 0))
        d.succeed(.create(path: path("/t"), data: [3], mode: .ttl, ttlMs: 777))
        let restored = try DataTree(snapshot: d.tree.snapshot())
        #expect(restored == d.tree)
        #expect(restored.snapshot() == d.tree.snapshot())
        #expect(restored.lastZxid == d.tree.lastZxid)
        #expect(restored.sessions == [1: 30_000, 0x7000_0000_0000_0002: 12])
        #expect(restored.ephemerals(of: 1) == [path("/a/b/0000000000")])
        #expect(restored.ephemeralType(at: path("/t")) == .ttl(777))
        #expect(restored.expiredContainers() == [.operations([.delete(path: path("/c"), version: 0)], session: nil)])
        #expect(restored.node(at: path("/a"))?.stat == d.stat("/a"))
        #expect(restored.children(of: .root)?.count == 5)
        #expect(restored.nodeCount == 8)
    }

    @Test func aRandomTreeOfAThousandOperationsRoundTrips() throws {
        let workload = Workload(seed: 0x5EED, steps: 1000)
        let tree = workload.tree
        #expect(workload.log.count >= 1000)
        #expect(tree.nodeCount > 50)
        let snapshot = tree.snapshot()
        let restored = try DataTree(snapshot: snapshot)
        #expect(restored == tree)
        #expect(restored.snapshot() == snapshot)
        for id in tree.sessions.keys { #expect(restored.ephemerals(of: id) == tree.ephemerals(of: id)) }
        #expect(restored.expiredTTLNodes(now: .max) == tree.expiredTTLNodes(now: .max))
    }

    @Test func everyTruncationIsRejected() {
        var d = Driver()
        d.openSession(1)
        d.mkdirs("/a")
        d.succeed(.create(path: path("/a/e"), data: [1, 2], mode: .ephemeral), session: 1)
        let bytes = d.tree.snapshot()
        for cut in 0..<bytes.count {
            let error = #expect(throws: CoordinationError.self) { try DataTree(snapshot: Array(bytes[..<cut])) }
            guard case .badArguments(let message)? = error else { continue }
            #expect(message.hasPrefix("snapshot record: truncated: "), "cut \(cut): \(message)")
        }
        #expect(throws: CoordinationError.badArguments("snapshot record: 1 unexpected byte after the end at offset \(bytes.count)")) {
            try DataTree(snapshot: bytes + [0])
        }
    }

    @Test func magicAndFormatAreChecked() {
        var bytes = DataTree().snapshot()
        bytes[0] = UInt8(ascii: "X")
        #expect(throws: CoordinationError.badArguments("snapshot record: bad magic at offset 0")) { try DataTree(snapshot: bytes) }
        bytes = DataTree().snapshot()
        bytes[4] = 2
        #expect(throws: CoordinationError.badArguments("snapshot record: unknown format 2")) { try DataTree(snapshot: bytes) }
    }

    /// A hand-written snapshot: sessions, then nodes with the given raw ephemeralOwner and zero
    /// stats otherwise. Returns the bytes and each node's offset.
    private func craft(sessions: [Int64] = [], nodes: [(String, Int64)]) -> ([UInt8], [Int]) {
        var out = BinaryWriter()
        out.raw(Array("ZKDT".utf8))
        out.u8(1)
        out.i64(9)
        out.u32(UInt32(sessions.count))
        for id in sessions {
            out.i64(id)
            out.i64(1000)
        }
        out.u32(UInt32(nodes.count))
        var offsets: [Int] = []
        for (p, owner) in nodes {
            offsets.append(out.bytes.count)
            out.string(p)
            out.blob([])
            for _ in 0..<4 { out.i64(0) }
            for _ in 0..<3 { out.i32(1) }
            out.i64(owner)
            out.i64(0)
        }
        return (out.bytes, offsets)
    }

    @Test func aWellFormedCraftedSnapshotLoads() throws {
        let (bytes, _) = craft(sessions: [5], nodes: [("/", 0), ("/a", 0), ("/a/e", 5), ("/c", Int64.min)])
        let tree = try DataTree(snapshot: bytes)
        #expect(tree.lastZxid == 9)
        #expect(tree.ephemerals(of: 5) == [path("/a/e")])
        #expect(tree.children(of: path("/a")) == ["e"])
        // Stored cversion 1 with one child: 1 × 2 − 1.
        #expect(tree.node(at: path("/a"))?.stat.cversion == 1)
        #expect(tree.expiredContainers() == [.operations([.delete(path: path("/c"), version: 1)], session: nil)])
    }

    @Test(arguments: [
        ([] as [Int64], [] as [(String, Int64)], -1, "no nodes; the root must come first"),
        ([], [("/a", 0)], 0, "node /a at offset 21: the root must come first"),
        ([], [("/", Int64.min)], 0, "node / at offset 21: the root must be persistent"),
        ([], [("/", 0), ("/a", 0), ("/a", 0)], 2, "repeated path"),
        ([], [("/", 0), ("/", 0)], 1, "repeated path"),
        ([], [("/", 0), ("/a/b", 0)], 1, "its parent is missing or comes later"),
        ([], [("/", 0), ("/b", 0), ("/a/b", 0), ("/a", 0)], 2, "its parent is missing or comes later"),
        ([5], [("/", 0), ("/e", 5), ("/e/x", 0)], 2, "its parent is ephemeral"),
        ([], [("/", 0), ("/e", 9)], 1, "its session 0x9 is not in the session table"),
        ([], [("/", 0), ("/x", Int64(bitPattern: 0xFF00_0100_0000_0001))], 1, "unknown ephemeralOwner 0xff00010000000001"),
        ([], [("/", 0), ("/x", Int64(bitPattern: 0xFF00_0000_0000_0000))], 1, "TTL 0 is out of range"),
    ] as [([Int64], [(String, Int64)], Int, String)])
    func inconsistentTreesAreRejected(sessions: [Int64], nodes: [(String, Int64)], failing: Int, problem: String) {
        let (bytes, offsets) = craft(sessions: sessions, nodes: nodes)
        let message =
            failing < 0 || problem.hasPrefix("node ")
            ? "snapshot record: " + problem
            : "snapshot record: node \(nodes[failing].0) at offset \(offsets[failing]): \(problem)"
        #expect(throws: CoordinationError.badArguments(message)) { try DataTree(snapshot: bytes) }
    }

    @Test func badPathsAndSessionsAreRejected() {
        let (badPath, _) = craft(nodes: [("/", 0), ("/a/", 0)])
        #expect(throws: CoordinationError.badArguments(
            "snapshot record: node path at offset 90: invalid path \"/a/\": path must not end with /"
        )) {
            try DataTree(snapshot: badPath)
        }
        let (reserved, _) = craft(sessions: [0], nodes: [("/", 0)])
        #expect(throws: CoordinationError.badArguments("snapshot record: invalid or repeated session 0x0 at offset 17")) {
            try DataTree(snapshot: reserved)
        }
        let (repeated, _) = craft(sessions: [3, 3], nodes: [("/", 0)])
        #expect(throws: CoordinationError.badArguments("snapshot record: invalid or repeated session 0x3 at offset 33")) {
            try DataTree(snapshot: repeated)
        }
    }
}
