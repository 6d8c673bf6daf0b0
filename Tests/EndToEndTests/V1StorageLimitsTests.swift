import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real binary at its storage limits: the size quota and a full disk answer 507 with a
/// problem type and no server path, reads and deletes go on, /readyz stays ready, and writes
/// resume without a restart once there is room.
@Suite("End to end: /v1 storage limits")
struct V1StorageLimitsTests {
    static func expectProblem(
        _ response: HTTPTestResponse, _ type: String, notMentioning secret: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == 507, "\(response.bodyText)", sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "application/problem+json", sourceLocation: sourceLocation)
        #expect(response.json?["type"] as? String == "urn:zkgate:problem:\(type)", "\(response.bodyText)",
            sourceLocation: sourceLocation)
        #expect(response.json?["status"] as? Int == 507, sourceLocation: sourceLocation)
        #expect(!response.bodyText.contains(secret), "a server path in \(response.bodyText)", sourceLocation: sourceLocation)
        #expect(!response.bodyText.contains("/tmp"), "a server path in \(response.bodyText)", sourceLocation: sourceLocation)
    }

    static func expectReady(_ client: RawHTTPClient, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ready = try client.request("GET", "/readyz")
        #expect(ready.status == 200, "\(ready.bodyText)", sourceLocation: sourceLocation)
        #expect(!ready.bodyText.contains("/tmp"), sourceLocation: sourceLocation)
    }

    /// `--quota-bytes`: filled to the quota, a create is 507 quota-exceeded; a read and a
    /// delete work, and after the delete a create works again.
    @Test func pastTheQuotaCreatesAre507UntilSomethingIsDeleted() throws {
        let server = try V1Server(["--access-log", "off", "--quota-bytes", "60000"])
        defer { server.stop() }
        let client = try server.connect()
        let data = [UInt8](repeating: 0x41, count: 10_000)
        var created = 0
        var refused: HTTPTestResponse?
        while refused == nil && created < 20 {
            let response = try client.putRaw("/q/n\(created)?parents=true", data)
            if response.status == 201 { created += 1 } else { refused = response }
        }
        #expect(created == 5)
        let response = try #require(refused)
        Self.expectProblem(response, "quota-exceeded", notMentioning: server.directory.path)
        #expect(response.json?["quota"] as? Int == 60_000)
        try Self.expectReady(client)
        // Filled to the quota exactly (the measure: 68 bytes a node besides its path and data),
        // nothing that grows fits: larger data, a session.
        let size = try #require(response.json?["size"] as? Int)
        let room = 60_000 - (size - (68 + "/q/n5".utf8.count + 10_000))
        #expect(try client.putRaw("/q/fill", [UInt8](repeating: 0, count: room - 68 - "/q/fill".utf8.count)).status == 201)
        Self.expectProblem(try client.putRaw("/q/n1", data + [0]), "quota-exceeded", notMentioning: server.directory.path)
        Self.expectProblem(
            try client.request("POST", "/v1/sessions", headers: [("Content-Type", "application/json")], body: Array("{}".utf8)),
            "quota-exceeded", notMentioning: server.directory.path)
        // Reads and shrinking writes work.
        #expect(try client.get("/q/n0").status == 200)
        #expect(try client.putRaw("/q/n0", [1, 2, 3]).status == 200)
        // A delete makes room.
        #expect(try client.delete("/q/n1").status == 204)
        #expect(try client.putRaw("/q/again", data).status == 201)
    }

    /// A data folder on a tmpfs of 8 MiB, 3 MiB of which a filler file takes: writes until the
    /// disk is full, then 507 storage-full; reads, deletes and /readyz work; removing the filler
    /// lets writes through again without a restart; after kill -9 and a restart every
    /// acknowledged write is there.
    @Test(.enabled(if: Tmpfs.isPermitted, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"), .timeLimit(.minutes(3)))
    func aFullDiskIs507UntilSpaceIsFreedAndLosesNoAcknowledgedWrite() throws {
        let disk = try Tmpfs(sizeBytes: 8 << 20)
        defer { disk.unmount() }
        #expect(disk.fill("filler", bytes: 3 << 20) == 3 << 20)
        let folder = disk.file("data")
        var server: ZKGateProcess? = try ZKGateProcess(["--data-dir", folder, "--access-log", "off"])
        var client = try RawHTTPClient(port: server!.port, timeout: 10)
        var acknowledged: [String: UInt8] = [:]
        var full: HTTPTestResponse?
        var i = 0
        while full == nil && i < 500 {
            let byte = UInt8(i % 251)
            let response = try client.putRaw("/f/n\(i)?parents=true", [UInt8](repeating: byte, count: 100_000))
            if response.status == 201 { acknowledged["/f/n\(i)"] = byte } else { full = response }
            i += 1
        }
        let response = try #require(full, "the disk never filled")
        Self.expectProblem(response, "storage-full", notMentioning: folder)
        #expect(acknowledged.count > 10)
        // Writes that grow are refused; the store serves reads and stays ready.
        Self.expectProblem(try client.putRaw("/f/more", [1]), "storage-full", notMentioning: folder)
        try Self.expectReady(client)
        let victim = try #require(acknowledged.keys.sorted().first)
        #expect(try client.get(victim).status == 200)
        // A delete is logged in the space the reserve gave back (retried while the writes that
        // met the full disk are still failing).
        var deleted = false
        for _ in 0..<50 where !deleted {
            let answer = try client.delete(victim)
            deleted = answer.status == 204
            if !deleted {
                #expect(answer.status == 507)
                sleepSeconds(0.05)
            }
        }
        #expect(deleted)
        acknowledged[victim] = nil

        // Room again: writes resume by themselves.
        disk.remove("filler")
        var resumed = false
        for attempt in 0..<100 where !resumed {
            let answer = try client.putRaw("/f/after\(attempt)?parents=true", [UInt8](repeating: 7, count: 100_000))
            if answer.status == 201 {
                acknowledged["/f/after\(attempt)"] = 7
                resumed = true
            } else {
                #expect(answer.status == 507)
                sleepSeconds(0.1)
            }
        }
        #expect(resumed, "writes did not resume after space was freed")
        try Self.expectReady(client)

        // Every acknowledged write survives a crash.
        server!.signal(SIGKILL)
        _ = server!.waitForExit(timeout: 10)
        server = try ZKGateProcess(["--data-dir", folder, "--access-log", "off"])
        defer { server?.stop() }
        client = try RawHTTPClient(port: server!.port, timeout: 10)
        var present = 0
        for (path, byte) in acknowledged {
            let answer = try client.get(path, headers: [("Accept", "application/octet-stream")])
            if answer.status == 200 && answer.body == [UInt8](repeating: byte, count: 100_000) { present += 1 }
        }
        #expect(present == acknowledged.count, "acknowledged \(acknowledged.count), present \(present)")
        #expect(try client.get(victim).status == 404)
    }
}
