import Coordination
import Testing

/// Acknowledged writes survive a restart on the same durable state. Only for backends that can
/// be restarted by the test (`capabilities.survivesRestart`).
@Suite("Conformance: durability")
struct DurabilityConformanceTests {
    @Test("every acknowledged write, session and counter is there after a restart",
          arguments: ConformanceBackends.restartable)
    func restart(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "durability-restart") { h in try await Self.restartScenario(h) }
    }

    /// Snapshots are taken from a record's completion while the rest of its group-committed batch
    /// is still being applied: a snapshot labelled with the batch's last sequence instead of its
    /// own record's once made recovery skip acknowledged writes (found by this test).
    @Test("the same, recovering from snapshots taken while writes are acknowledged in groups",
          arguments: ConformanceBackends.snapshotting)
    func restartFromSnapshots(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "durability-snapshots") { h in try await Self.restartScenario(h) }
    }

    /// Writes of every kind, a burst of concurrent acknowledged writes, then restarts (twice) and
    /// finds everything as it was; then checks the recovered backend keeps working.
    static func restartScenario(_ h: Harness) async throws {
        let session = try await h.openSession()
        let closed = try await h.openSession()
        try await h.create(try h.path("p"), "persistent")
        try await h.setData(try h.path("p"), "changed")
        try await h.setData(try h.path("p"), "changed again", version: 1)
        try await h.create(try h.path("gone"))
        try await h.delete(try h.path("gone"))
        try await h.create(try h.path("q"))
        let prefix = try h.prefix("q/s-")
        for _ in 0..<3 { try await h.create(prefix, mode: .persistentSequential) }
        try await h.delete(try h.path("q/s-0000000002"))
        try await h.create(try h.path("container"), mode: .container)
        try await h.create(try h.path("container/child"))
        if h.capabilities.supportsTTL { try await h.create(try h.path("ttl"), mode: .ttl, ttlMs: 3_600_000) }
        if h.capabilities.supportsTTL {
            // Idle past its TTL, but kept by its child until after the restarts.
            // In one transaction: 300 ms can pass between two commits on a loaded machine.
            try await h.commit([
                .create(path: try h.path("holder"), data: [], mode: .ttl, ttlMs: 300),
                .create(path: try h.path("holder/child"), data: [], mode: .persistent),
            ])
        }
        let ephemeral = try await h.create(try h.path("e"), mode: .ephemeral, session: session.id).path
        // A short session nobody renews: it may expire before or after the restarts, but must expire.
        let short = try await h.openShortSession()
        let shortEphemeral = try await h.create(try h.path("short"), mode: .ephemeral, session: short.id).path
        try await h.create(try h.path("closed"), mode: .ephemeral, session: closed.id)
        try await h.backend.closeSession(closed.id)
        let binary: [UInt8] = [0, 1, 0xFE, 0xFF]
        try await h.commit([
            .create(path: try h.path("m"), data: binary, mode: .persistent),
            .create(path: try h.path("m/child"), data: [], mode: .persistent),
            .check(path: try h.path("p"), version: 2),
        ])
        await h.expectFailure(
            [.create(path: try h.path("failed"), data: [], mode: .persistent), .check(path: try h.path("p"), version: 0)],
            index: 1, .badVersion(try h.path("p")))
        // Acknowledged concurrently, then the restart comes at once.
        let lastZxid = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<20 {
                group.addTask { try await h.create(try h.path("burst\(i)"), "\(i)").zxid }
            }
            var last: Int64 = 0
            for try await zxid in group { last = max(last, zxid) }
            return last
        }

        var before = try await h.subtree(h.base)
        before[shortEphemeral] = nil
        before[h.base]?.children?.removeAll { $0 == shortEphemeral.name }
        var changeIndexes: [ZNodePath: Int64] = [:]
        for path in before.keys { changeIndexes[path] = try await h.read(path, children: true).changeIndex }
        let sessionBefore = try await h.backend.session(session.id)

        for round in 1...2 {
            try h.instance.restart()
            #expect(h.backend.isReady, "round \(round)")
            var after = try await h.subtree(h.base)
            after[shortEphemeral] = nil
            after[h.base]?.children?.removeAll { $0 == shortEphemeral.name }
            #expect(Set(after.keys) == Set(before.keys), "round \(round): the same nodes")
            for (path, node) in before {
                if path == h.base {
                    // Its stat moves if the short session expired meanwhile; its children must not.
                    #expect(after[path]?.children == node.children, "round \(round)")
                    continue
                }
                #expect(after[path] == node, "round \(round): \(path) with its data, stat and children")
                let read = try await h.read(path, children: true)
                #expect(read.changeIndex == changeIndexes[path], "round \(round): \(path)")
                #expect(read.index >= lastZxid, "round \(round): the index covers every acknowledged write")
            }
            #expect(after[try h.path("m")]?.data == binary)
            #expect(after[try h.path("failed")] == nil, "a failed multi left nothing to recover")
            let described = try await h.backend.session(session.id)
            #expect(described.timeoutMs == sessionBefore.timeoutMs, "round \(round)")
            #expect(described.ephemerals == [ephemeral], "round \(round): the session still owns its ephemeral")
            await #expect(throws: CoordinationError.sessionExpired(closed.id)) {
                try await h.backend.session(closed.id)
            }
        }

        // Counters and zxids continue where they were.
        let (next, _, zxid) = try await h.create(prefix, mode: .persistentSequential)
        #expect(sequenceNumber(of: next, prefix: prefix) == 3, "the sequence counter survived")
        #expect(zxid > lastZxid, "zxids keep increasing across restarts")
        let events = await h.events(from: zxid, through: zxid)
        #expect(describe(events, base: h.base) == ["created q/\(next.name)", "childrenChanged q"],
                "the change sink is served after a restart")
        try await h.setData(try h.path("p"), "after", version: 2)
        let renewed = try await h.backend.renewSession(session.id)
        #expect(renewed.id == session.id)
        try await h.backend.closeSession(session.id)
        #expect(try await !h.exists(ephemeral))

        // The recovered server still sweeps: sessions expire, containers and TTL nodes go.
        let expired = try await h.poll(timeout: Double(short.timeoutMs) / 1000 + h.capabilities.expiryGraceSeconds) {
            try await !h.exists(shortEphemeral)
        }
        #expect(expired, "a recovered session that is not renewed expires")
        await #expect(throws: CoordinationError.sessionExpired(short.id)) { try await h.backend.session(short.id) }
        if let within = h.capabilities.cleanupWithinSeconds {
            try await h.delete(try h.path("container/child"))
            if h.capabilities.supportsTTL { try await h.delete(try h.path("holder/child")) }
            let swept = try await h.poll(timeout: within) {
                let container = try await h.exists(try h.path("container"))
                let holder = try await h.exists(try h.path("holder"))
                return !container && !holder
            }
            #expect(swept, "a recovered container and TTL node are swept once empty")
        }

        // And what was done after the restarts survives another.
        try h.instance.restart()
        #expect(try await h.read(try h.path("p")).node?.data == bytes("after"))
        #expect(try await h.exists(next))
        #expect(try await !h.exists(ephemeral))
        await #expect(throws: CoordinationError.sessionExpired(session.id)) {
            try await h.backend.session(session.id)
        }
    }
}
