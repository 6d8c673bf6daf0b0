import Coordination
import Testing

/// Sequential naming: the number is the parent's count of child creations, so deletes leave
/// gaps and any create moves it, exactly as on ZooKeeper.
@Suite("Conformance: sequential naming")
struct SequentialConformanceTests {
    @Test("numbers are never reused: deletes leave gaps, plain creates use numbers up",
          arguments: ConformanceBackends.all)
    func gaps(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "sequential-gaps") { h in
            let q = try h.path("q")
            try await h.create(q)
            let prefix = try h.prefix("q/n-")
            func next() async throws -> Int? {
                let (path, _, _) = try await h.create(prefix, mode: .persistentSequential)
                return sequenceNumber(of: path, prefix: prefix)
            }
            #expect(try await next() == 0)
            #expect(try await next() == 1)
            #expect(try await next() == 2)
            try await h.delete(try h.path("q/n-0000000001"))
            #expect(try await next() == 3, "a deleted number is not reused")
            for name in ["n-0000000000", "n-0000000002", "n-0000000003"] { try await h.delete(try h.path("q/\(name)")) }
            #expect(try await h.node(q)?.children == [])
            #expect(try await next() == 4, "an emptied parent keeps counting")
            try await h.create(try h.path("q/plain"))
            #expect(try await next() == 6, "a plain create also moves the counter")

            // Different prefixes under one parent share the parent's counter.
            let other = try h.prefix("q/other-")
            let (otherPath, _, _) = try await h.create(other, mode: .persistentSequential)
            #expect(sequenceNumber(of: otherPath, prefix: other) == 7)

            // Each parent has its own counter.
            try await h.create(try h.path("r"))
            let (rPath, _, _) = try await h.create(try h.prefix("r/n-"), mode: .persistentSequential)
            #expect(rPath == (try h.path("r/n-0000000000")))

            // The reported cversion is creations plus deletions.
            let stat = try await h.stat(q)
            #expect(stat.numChildren == 4)
            #expect(stat.cversion == 2 * 8 - 4)
        }
    }

    @Test("names sort in creation order across modes", arguments: ConformanceBackends.all)
    func monotonic(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "sequential-order") { h in
            let session = try await h.openSession()
            try await h.create(try h.path("q"))
            let prefix = try h.prefix("q/x-")
            var modes: [CreateMode] = [.persistentSequential, .ephemeralSequential]
            if h.capabilities.supportsTTL { modes.append(.ttlSequential) }
            var made: [(path: ZNodePath, zxid: Int64)] = []
            for i in 0..<12 {
                let mode = modes[i % modes.count]
                let (path, stat, zxid) = try await h.create(
                    prefix, mode: mode, ttlMs: mode.isTTL ? 3_600_000 : nil,
                    session: mode.isEphemeral ? session.id : nil)
                #expect(stat.czxid == zxid)
                made.append((path, zxid))
            }
            #expect(made.map { sequenceNumber(of: $0.path, prefix: prefix) } == Array(0..<12))
            #expect(made.map(\.path) == made.map(\.path).sorted())
            #expect(made.map(\.zxid) == made.map(\.zxid).sorted())
            let children = try await h.node(try h.path("q"))?.children
            #expect(children == made.map(\.path.name), "children come back sorted, which is creation order")

            // Sequential creates in one multi take consecutive numbers.
            let (results, _) = try await h.commit([
                .create(path: prefix, data: [], mode: .persistentSequential),
                .create(path: prefix, data: [], mode: .persistentSequential),
            ])
            #expect(try results.map { sequenceNumber(of: try created($0).path, prefix: prefix) } == [12, 13])
            try await h.backend.closeSession(session.id)
        }
    }

    @Test("a failed sequential create does not move the counter; a collision repeats",
          arguments: ConformanceBackends.all)
    func failuresAndCollisions(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "sequential-collision") { h in
            try await h.create(try h.path("q"))
            let prefix = try h.prefix("q/job-")
            let check = try h.path("q")
            await h.expectFailure(
                [.create(path: prefix, data: [], mode: .persistentSequential), .check(path: check, version: 5)],
                index: 1, .badVersion(check))
            let (first, _, _) = try await h.create(prefix, mode: .persistentSequential)
            #expect(sequenceNumber(of: first, prefix: prefix) == 0, "the failed multi did not use 0")

            // A plain node named like the next sequential one: the counter is now 2 and names
            // "job-0000000002", which exists, so the sequential create fails, and fails again,
            // since a failure does not move the counter (ZooKeeper behaves the same).
            try await h.create(try h.path("q/job-0000000002"))
            for _ in 0..<2 {
                await h.expectFailure(
                    [.create(path: prefix, data: [], mode: .persistentSequential)], index: 0,
                    matching: { error in
                        // The path as requested or, as the embedded store reports, the final path.
                        guard case .nodeExists(let path) = error else { return false }
                        return path == prefix || sequenceNumber(of: path, prefix: prefix) == 2
                    })
            }
            // Another create moves the counter past the collision.
            try await h.create(try h.path("q/other"))
            let (after, _, _) = try await h.create(prefix, mode: .persistentSequential)
            #expect(sequenceNumber(of: after, prefix: prefix) == 3)
        }
    }
}
