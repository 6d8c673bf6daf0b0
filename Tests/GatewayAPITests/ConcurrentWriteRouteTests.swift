import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Testing

/// Writes from many connections at once, on both backends: upserts of one new path, creates
/// under one new parent, and many writes each acknowledged with its own index.
@Suite struct ConcurrentWriteRouteTests {
    static let backends = RouteHarness.Backend.available

    /// Concurrent PUTs of one new path: every one succeeds, exactly one creates it.
    @Test(arguments: backends)
    func concurrentUpsertsOfOneNewPath(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let race = harness.nodes("/race")
        let statuses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                group.addTask { await harness.request(.put, race, object: ["data": "writer-\(i)"]).status.code }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 200 }.count == 7, "\(statuses)")
        let read = await harness.request(.get, race)
        #expect(read.statInt("version") == 7)
        #expect(read.dataText?.hasPrefix("writer-") == true)
        await harness.shutdown()
    }

    /// Concurrent creates of siblings under one missing parent, each with `?parents=true`:
    /// every one must create its node, whichever request creates the parent.
    @Test(arguments: backends)
    func concurrentCreatesUnderOneNewParent(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        var failures: [String] = []
        for round in 0..<6 {
            let results = await withTaskGroup(of: String?.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        let target = harness.nodes("/fresh\(round)/deep/\(i)?parents=true")
                        let response = await harness.request(i % 2 == 0 ? .put : .post, target, object: ["data": "\(i)"])
                        return response.status.code == 201
                            ? nil : "\(i % 2 == 0 ? "PUT" : "POST") /fresh\(round)/deep/\(i): \(response.status.code) \(response.text)"
                    }
                }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            failures += results.compactMap { $0 }
        }
        #expect(failures.isEmpty, "\(failures.count) of 36 failed, e.g. \(failures.first ?? "")")
        await harness.shutdown()
    }

    /// Writes in parallel from many connections: each acknowledged with its own index, all
    /// present afterwards (group commit must not lose or mix up any).
    @Test(arguments: backends)
    func parallelWritesAreAllApplied(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        let p = harness.nodes("/p")
        #expect(await harness.request(.put, p + "?parents=true", object: ["data": ""]).status.code == 201)
        let outcomes = await withTaskGroup(of: [Int?].self) { group in
            for t in 0..<8 {
                group.addTask {
                    var indexes: [Int?] = []
                    for k in 0..<25 {
                        let response = await harness.request(.put, "\(p)/\(t)-\(k)", object: ["data": "\(t):\(k)"])
                        indexes.append(response.status.code == 201 ? response.zkIndex : nil)
                    }
                    return indexes
                }
            }
            return await group.reduce(into: [Int?]()) { $0 += $1 }
        }
        #expect(!outcomes.contains(nil), "a write was not created with an index")
        let all = outcomes.compactMap { $0 }
        #expect(all.count == 200)
        #expect(Set(all).count == 200, "every write has its own index")
        #expect(await harness.request(.get, p + "?children=true").children?.count == 200)
        for t in 0..<8 { #expect(await harness.request(.get, "\(p)/\(t)-24").dataText == "\(t):24") }
        await harness.shutdown()
    }
}
