import Coordination
import Testing

/// Every error a single operation can meet, with ZooKeeper's code and the path as requested.
@Suite("Conformance: errors")
struct ErrorConformanceTests {
    static func isInvalidPath(_ error: CoordinationError) -> Bool {
        if case .invalidPath = error { true } else { false }
    }

    static func isBadArguments(_ error: CoordinationError) -> Bool {
        if case .badArguments = error { true } else { false }
    }

    @Test("noNode: missing parent on create, missing node on delete, setData and check",
          arguments: ConformanceBackends.all)
    func noNode(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-nonode") { h in
            let orphan = try h.path("missing/child")
            let missing = try h.path("missing")
            let before = try await h.nodes([h.base, missing, orphan])
            await h.expectFailure([.create(path: orphan, data: [], mode: .persistent)], index: 0, .noNode(orphan))
            let prefix = try h.prefix("missing/seq-")
            await h.expectFailure(
                [.create(path: prefix, data: [], mode: .persistentSequential)], index: 0, .noNode(prefix))
            let session = try await h.openSession()
            await h.expectFailure(
                [.create(path: orphan, data: [], mode: .ephemeral)], session: session.id, index: 0, .noNode(orphan))
            await h.expectFailure([.delete(path: missing, version: -1)], index: 0, .noNode(missing))
            await h.expectFailure([.setData(path: missing, data: [1], version: -1)], index: 0, .noNode(missing))
            await h.expectFailure([.check(path: missing, version: -1)], index: 0, .noNode(missing))
            // A missing node fails before its version is looked at.
            await h.expectFailure([.delete(path: missing, version: 3)], index: 0, .noNode(missing))
            await h.expectFailure([.setData(path: missing, data: [1], version: 3)], index: 0, .noNode(missing))
            #expect(code(.noNode(missing)) == -101)
            #expect(try await h.nodes([h.base, missing, orphan]) == before)
            #expect(try await h.backend.session(session.id).ephemerals == [])
            try await h.backend.closeSession(session.id)
        }
    }

    @Test("nodeExists: creating an existing node in every mode, and the root", arguments: ConformanceBackends.all)
    func nodeExists(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-nodeexists") { h in
            let path = try h.path("n")
            try await h.create(path, "first")
            let before = try await h.nodes([path, h.base])
            let session = try await h.openSession()
            for mode in [CreateMode.persistent, .ephemeral, .container] + (h.capabilities.supportsTTL ? [.ttl] : []) {
                await h.expectFailure(
                    [.create(path: path, data: bytes("second"), mode: mode, ttlMs: mode.isTTL ? 60_000 : nil)],
                    session: mode.isEphemeral ? session.id : nil, index: 0, .nodeExists(path), "mode \(mode)")
            }
            // ZooKeeper aliases "/" to the root, so creating it finds a node there.
            await h.expectFailure([.create(path: .root, data: [], mode: .persistent)], index: 0, .nodeExists(.root))
            #expect(try await h.nodes([path, h.base]) == before, "failed creates change nothing")
            #expect(code(.nodeExists(path)) == -110)
            try await h.backend.closeSession(session.id)
        }
    }

    @Test("notEmpty: deleting a node with children; a wrong version is reported first",
          arguments: ConformanceBackends.all)
    func notEmpty(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-notempty") { h in
            let parent = try h.path("p")
            try await h.create(parent)
            try await h.create(try h.path("p/c"))
            let before = try await h.nodes([parent, h.base])
            await h.expectFailure([.delete(path: parent, version: -1)], index: 0, .notEmpty(parent))
            await h.expectFailure([.delete(path: parent, version: 0)], index: 0, .notEmpty(parent))
            // PrepRequestProcessor checks the version before the children.
            await h.expectFailure([.delete(path: parent, version: 5)], index: 0, .badVersion(parent))
            #expect(try await h.nodes([parent, h.base]) == before)
            #expect(code(.notEmpty(parent)) == -111)
        }
    }

    @Test("noChildrenForEphemerals: no child of any mode under an ephemeral", arguments: ConformanceBackends.all)
    func noChildrenForEphemerals(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-nochildren") { h in
            let session = try await h.openSession()
            let parent = try h.path("e")
            try await h.create(parent, mode: .ephemeral, session: session.id)
            let child = try h.path("e/c")
            let before = try await h.nodes([parent, h.base])
            for mode in [CreateMode.persistent, .ephemeral, .container] {
                await h.expectFailure(
                    [.create(path: child, data: [], mode: mode)], session: session.id, index: 0,
                    .noChildrenForEphemerals(child), "mode \(mode)")
            }
            // For a sequential create the error names the prefix as requested or, as the embedded
            // store does, the final path: accept either, but nothing else.
            let prefix = try h.prefix("e/s-")
            await h.expectFailure(
                [.create(path: prefix, data: [], mode: .ephemeralSequential)], session: session.id, index: 0,
                matching: { error in
                    guard case .noChildrenForEphemerals(let path) = error else { return false }
                    return path == prefix || sequenceNumber(of: path, prefix: prefix) == 0
                })
            #expect(try await h.nodes([parent, h.base]) == before)
            #expect(code(.noChildrenForEphemerals(child)) == -108)
            try await h.backend.closeSession(session.id)
        }
    }

    @Test("invalidPath: a sequential prefix is not a node path for create, delete, setData or check",
          arguments: ConformanceBackends.all)
    func invalidPath(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-invalidpath") { h in
            try await h.create(try h.path("q"))
            for text in ["q/", "q/.", "q/.."] {
                let prefix = try h.prefix(text)
                #expect(prefix.isSequentialPrefix)
                for operation: Operation in [
                    .create(path: prefix, data: [], mode: .persistent),
                    .create(path: prefix, data: [], mode: .container),
                    .delete(path: prefix, version: -1),
                    .setData(path: prefix, data: [], version: -1),
                    .check(path: prefix, version: -1),
                ] {
                    await h.expectFailure([operation], index: 0, "\(operation)", matching: Self.isInvalidPath)
                }
                // The same prefix is fine for a sequential create: the number completes the name.
                let (final, _, _) = try await h.create(prefix, mode: .persistentSequential)
                #expect(final.parent == (try h.path("q")))
            }
            #expect(try await h.node(try h.path("q"))?.children?.count == 3)
            // Paths that break ZooKeeper's rules never become a ZNodePath, so no backend sees them.
            for bad in ["", "a", "/a/", "//a", "/a//b", "/a/./b", "/a/../b", "/.", "/a\u{0}b", "/a\u{1}", "/\u{7F}",
                        "/\u{9F}", "/\u{E000}", "/\u{FFFF}", "/\u{1F600}"] {
                #expect(throws: CoordinationError.self, "\(bad.debugDescription)") { try ZNodePath(validating: bad) }
            }
            #expect(code(.invalidPath("/a/", reason: "")) == -8)
        }
    }

    @Test("sessionExpired: writes, renew and describe with an unknown or closed session; close is idempotent",
          arguments: ConformanceBackends.all)
    func sessionExpired(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-sessionexpired") { h in
            let node = try h.path("n")
            try await h.create(node)
            let closed = try await h.openSession()
            try await h.backend.closeSession(closed.id)
            var unknown: Int64
            repeat { unknown = Int64.random(in: 1...0x00FF_FFFF_FFFF_FFFF) } while unknown == closed.id
            let before = try await h.nodes([node, h.base])
            for id in [closed.id, unknown] {
                let operations: [Operation] = [
                    .create(path: try h.path("e"), data: [], mode: .ephemeral),
                    .create(path: try h.prefix("es-"), data: [], mode: .ephemeralSequential),
                    .create(path: try h.path("p"), data: [], mode: .persistent),
                    .setData(path: node, data: [1], version: -1),
                    .delete(path: node, version: -1),
                    .check(path: node, version: -1),
                ]
                for operation in operations {
                    await h.expectFailure([operation], session: id, index: 0, .sessionExpired(id), "\(operation)")
                }
                await #expect(throws: CoordinationError.sessionExpired(id)) { try await h.backend.renewSession(id) }
                await #expect(throws: CoordinationError.sessionExpired(id)) { try await h.backend.session(id) }
                // Closing a closed or unknown session is not an error.
                try await h.backend.closeSession(id)
            }
            #expect(try await h.nodes([node, h.base]) == before, "writes under a dead session change nothing")
            #expect(code(.sessionExpired(unknown)) == -112)
        }
    }

    @Test("badArguments: an ephemeral without a session, TTL bounds, session timeout bounds",
          arguments: ConformanceBackends.all)
    func badArguments(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-badarguments") { h in
            let path = try h.path("n")
            for mode in [CreateMode.ephemeral, .ephemeralSequential] {
                let target = mode.isSequential ? try h.prefix("n-") : path
                await h.expectFailure(
                    [.create(path: target, data: [], mode: mode)], index: 0, "\(mode) without a session",
                    matching: Self.isBadArguments)
            }
            // In a multi: the failing index is the ephemeral's, and the create before it is undone.
            await h.expectFailure(
                [.create(path: path, data: [], mode: .persistent), .create(path: try h.path("e"), data: [], mode: .ephemeral)],
                index: 1, matching: Self.isBadArguments)

            if h.capabilities.supportsTTL {
                for mode in [CreateMode.ttl, .ttlSequential] {
                    let target = mode.isSequential ? try h.prefix("t-") : path
                    for ttl: Int64? in [nil, 0, -1, EphemeralType.maxTTL + 1, Int64.max, Int64.min] {
                        await h.expectFailure(
                            [.create(path: target, data: [], mode: mode, ttlMs: ttl)], index: 0,
                            "\(mode) with ttl \(ttl.map(String.init) ?? "nil")", matching: Self.isBadArguments)
                    }
                }
                // The bounds themselves are accepted.
                try await h.create(try h.path("max"), mode: .ttl, ttlMs: EphemeralType.maxTTL)
                try await h.create(try h.path("one"), mode: .ttl, ttlMs: 1)
            }
            // A TTL with any other mode is refused.
            let session = try await h.openSession()
            for mode in CreateMode.allCases where !mode.isTTL {
                let target = mode.isSequential ? try h.prefix("x-") : path
                await h.expectFailure(
                    [.create(path: target, data: [], mode: mode, ttlMs: 1_000)],
                    session: mode.isEphemeral ? session.id : nil, index: 0, "\(mode) with a ttl",
                    matching: Self.isBadArguments)
            }
            try await h.backend.closeSession(session.id)
            #expect(try await !h.exists(path))
            #expect(try await h.node(h.base)?.children?.filter { $0.hasPrefix("n") || $0.hasPrefix("x") } == [])

            // Session timeouts outside the backend's bounds.
            let bounds = h.capabilities.sessionTimeouts
            for timeout in [bounds.lowerBound - 1, bounds.upperBound + 1, 0, -1, Int64.min, Int64.max] {
                let error = await #expect(throws: CoordinationError.self, "timeout \(timeout)") {
                    _ = try await h.backend.openSession(timeoutMs: timeout)
                }
                #expect(error.map(Self.isBadArguments) ?? true, "timeout \(timeout): \(String(describing: error))")
            }
            #expect(code(.badArguments("")) == -8)
        }
    }

    @Test("dataTooLarge: data over the limit on create and setData; the limit itself fits",
          arguments: ConformanceBackends.all)
    func dataTooLarge(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-datatoolarge") { h in
            let limit = DataTree.maxDataSize
            let path = try h.path("big")
            let over = [UInt8](repeating: 7, count: limit + 1)
            await h.expectFailure(
                [.create(path: path, data: over, mode: .persistent)], index: 0, .dataTooLarge(size: limit + 1, limit: limit))
            #expect(try await !h.exists(path))
            let (results, _) = try await h.commit([.create(path: path, data: [UInt8](repeating: 1, count: limit), mode: .persistent)])
            #expect(try created(results.first).stat.dataLength == Int32(limit))
            await h.expectFailure(
                [.setData(path: path, data: over, version: -1)], index: 0, .dataTooLarge(size: limit + 1, limit: limit))
            let node = try await h.read(path).node
            #expect(node?.stat.version == 0)
            #expect(node?.data.count == limit)
        }
    }

    @Test("the root: deleting it is refused", arguments: ConformanceBackends.all)
    func root(_ factory: any BackendFactory) async throws {
        try await withHarness(factory, "errors-root") { h in
            await h.expectFailure([.delete(path: .root, version: -1)], index: 0, matching: Self.isBadArguments)
            let rootExists = try await h.exists(.root)
            let baseExists = try await h.exists(h.base)
            #expect(rootExists)
            #expect(baseExists)
        }
    }

    func code(_ error: CoordinationError) -> Int32 { error.code }
}
