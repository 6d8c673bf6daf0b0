import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The embedded store across crashes and restarts: acknowledged means durable, one process per
/// data folder, torn log tails repaired and reported.
@Suite("End to end: /v1 durability")
struct V1DurabilityTests {
    /// Log lines at warning level or above (the level is the second field of each line).
    static func alarming(_ log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in
            let fields = line.split(separator: " ", maxSplits: 2)
            // The start-up notice of an open gateway (no --auth-policy) is expected here.
            return fields.count >= 2 && ["warning", "error", "critical"].contains(String(fields[1]))
                && !line.contains("no --auth-policy")
        }
    }

    /// The newest write-ahead log segment.
    static func newestSegment(_ directory: TemporaryDirectory) throws -> String {
        let name = try #require(directory.entries().filter { $0.hasPrefix("wal-") && $0.hasSuffix(".log") }.last)
        return directory.file(name)
    }

    /// A client PUTs /n/k for k = 0, 1, 2, … and records every acknowledged k; the server is
    /// killed with SIGKILL at a random moment; after a restart every acknowledged write is there
    /// with its value.
    @Test func everyAcknowledgedWriteSurvivesKill9() throws {
        let server = try V1Server(["--access-log", "off"])
        defer { server.stop() }
        let port = server.port
        let acknowledged = Locked<[Int]>([])
        // Two streams, so that group commit batches records from several connections.
        let streams = ["n", "m"].map { prefix in
            Background("writer-\(prefix)") { () -> String in
                let client = try RawHTTPClient(port: port, timeout: 5)
                var k = 0
                while true {
                    let response: HTTPTestResponse
                    do {
                        response = try client.put("/\(prefix)/\(k)?parents=true", "value-\(k)")
                    } catch {
                        return "\(error)"
                    }
                    guard (200..<300).contains(response.status) else { return "status \(response.status)" }
                    if prefix == "n" { acknowledged.withLock { $0.append(k) } }
                    k += 1
                }
            }
        }
        // Kill at a random moment once writes are flowing.
        #expect(eventually(timeout: 10) { acknowledged.withLock { $0.count } >= 20 }, "writes are not being acknowledged")
        sleepSeconds(Double.random(in: 0.05...0.6))
        #expect(server.kill9() == .signaled(SIGKILL))
        for stream in streams {
            let ended = try stream.value(timeout: 10)
            #expect(!ended.hasPrefix("status"), "a write failed before the kill: \(ended)")
        }
        let acked = acknowledged.withLock { $0 }
        #expect(acked == Array(0..<acked.count))

        try server.restart()
        let client = try server.connect()
        let children = Set(try client.get("/n?children=true").children ?? [])
        var missing: [Int] = []
        for k in acked {
            if !children.contains("\(k)") {
                missing.append(k)
                continue
            }
            let read = try client.get("/n/\(k)")
            #expect(read.dataText == "value-\(k)", "/n/\(k) after the restart: \(read)")
        }
        #expect(missing.isEmpty, "\(missing.count) of \(acked.count) acknowledged writes lost, first \(missing.prefix(5))")
        // At most the one write in flight at the kill is there beyond the acknowledged ones.
        #expect(children.count <= acked.count + 1, "\(children.count) nodes for \(acked.count) acknowledged writes")
        // The restart may repair a torn tail, but nothing worse.
        let bad = Self.alarming(server.process.stderr.text).filter { !$0.contains("truncated a torn log tail") }
        #expect(bad.isEmpty, "\(bad)")
        // And it takes writes again.
        #expect(try client.put("/n/after", "yes").status == 201)
    }

    /// Killed while idle, the log ends on a record boundary: the restart reports nothing, and
    /// data, sessions and their ephemerals are back.
    @Test func cleanCutRestartIsQuietAndComplete() throws {
        let server = try V1Server()
        defer { server.stop() }
        var client = try server.connect()
        #expect(try client.put("/cfg/a?parents=true", "1").status == 201)
        #expect(try client.putRaw("/cfg/bin", allByteValues).status == 201)
        #expect(try client.put("/cfg/a", "2").status == 200)
        let session = try client.openSession(ttl: 60000)
        #expect(try client.post("/cfg/eph", json: ["mode": "ephemeral", "session": session]).status == 201)
        #expect(try client.delete("/cfg/gone").status == 404)
        let before = try client.treeSnapshot()
        #expect(server.kill9() == .signaled(SIGKILL))

        try server.restart()
        client = try server.connect()
        #expect(Self.alarming(server.process.stderr.text).isEmpty, "\(server.process.stderr.text)")
        #expect(server.process.stderr.text.contains("embedded store open"))
        #expect(try client.treeSnapshot() == before)
        #expect(try client.get("/cfg/bin", headers: [("Accept", "application/octet-stream")]).body == allByteValues)
        let info = try client.request("GET", "/v1/sessions/\(session)")
        #expect(info.status == 200, "the session survives a restart: \(info)")
        #expect(info.object["ephemerals"] as? [String] == ["/cfg/eph"])
        // A graceful stop and start is as quiet.
        #expect(server.stop() == .exited(0))
        try server.restart()
        #expect(Self.alarming(server.process.stderr.text).isEmpty, "\(server.process.stderr.text)")
        #expect(try server.connect().treeSnapshot() == before)
    }

    /// Garbage after the last record (a write torn by a crash) is cut off and reported; the
    /// data before it is intact, and the log accepts records after the cut.
    @Test func tornTailIsTruncatedAndLogged() throws {
        let server = try V1Server()
        defer { server.stop() }
        var client = try server.connect()
        for k in 0..<10 { #expect(try client.put("/t/\(k)?parents=true", "v\(k)").status == 201) }
        let before = try client.treeSnapshot()
        #expect(server.kill9() == .signaled(SIGKILL))

        let segment = try Self.newestSegment(server.directory)
        let garbage = Array("this is no log record: the tail of a write torn by a crash\n".utf8)
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data(garbage))
        try handle.close()

        try server.restart()
        let log = server.process.stderr.text
        let warnings = Self.alarming(log)
        #expect(warnings.count == 1, "\(log)")
        let line = try #require(warnings.first)
        #expect(line.contains("warning"))
        #expect(line.contains("truncated a torn log tail"))
        #expect(line.contains("segment=\(segment)"), "\(line)")
        #expect(line.contains("droppedBytes=\(garbage.count)"), "\(line)")
        client = try server.connect()
        #expect(try client.treeSnapshot() == before)
        // Records after the cut replay on the next start, which is quiet again.
        #expect(try client.put("/t/after", "ok").status == 201)
        #expect(server.kill9() == .signaled(SIGKILL))
        try server.restart()
        #expect(Self.alarming(server.process.stderr.text).isEmpty, "\(server.process.stderr.text)")
        client = try server.connect()
        #expect(try client.get("/t/after").dataText == "ok")
        #expect(try client.get("/t/9").dataText == "v9")
    }

    /// Past 20,000 log records the store writes a snapshot and replays only the records after
    /// it. With writes arriving in parallel (group commit), every acknowledged write must still
    /// be there after a restart.
    @Test
    func snapshotKeepsEveryAcknowledgedWrite() throws {
        let server = try V1Server(["--access-log", "off"])
        defer { server.stop() }
        #expect(try server.connect().put("/s", "").status == 201)
        let port = server.port
        let total = Locked(0)
        let target = 20_400
        let results = runOnThreads(count: 16, timeout: 120) { t in
            let client = try RawHTTPClient(port: port)
            var k = 0
            while total.withLock({ $0 }) < target {
                let response = try client.put("/s/\(t)-\(k)", "\(k)")
                guard response.status == 201 else { throw HTTPClientError.malformed("\(response)") }
                total.withLock { $0 += 1 }
                k += 1
            }
            return k
        }
        let perThread = try results.map { try $0.get() }
        let acknowledged = perThread.reduce(0, +)
        #expect(server.process.stderr.wait(timeout: 10) { $0.contains("snapshot written") }, "no snapshot after \(acknowledged) writes")
        #expect(server.kill9() == .signaled(SIGKILL))

        try server.restart()
        #expect(Self.alarming(server.process.stderr.text).isEmpty, "\(server.process.stderr.text)")
        let client = try server.connect()
        let children = Set(try client.get("/s?children=true").children ?? [])
        #expect(children.count == acknowledged, "\(acknowledged - children.count) of \(acknowledged) acknowledged writes lost")
        var missing: [String] = []
        for (t, count) in perThread.enumerated() {
            for k in 0..<count where !children.contains("\(t)-\(k)") { missing.append("/s/\(t)-\(k)") }
        }
        #expect(missing.isEmpty, "lost: \(missing.prefix(10))")
        // The store still takes writes (their records replay after the snapshot).
        #expect(try client.put("/s/after", "x").status == 201)
    }

    /// A second zkgate on the same folder exits 1, naming the folder and the holder's pid; the
    /// first keeps serving.
    @Test func secondProcessOnTheSameFolderIsRefused() throws {
        let server = try V1Server()
        defer { server.stop() }
        let client = try server.connect()
        #expect(try client.put("/mine", "1").status == 201)
        let second = try runCommand(try ZKGateProcess.binaryPath(),
            ["--listen", "127.0.0.1:0", "--data-dir", server.directory.path], timeout: 15)
        #expect(second.status == 1, "exit \(second.status): \(second.stderr)")
        #expect(second.stderr.contains(server.directory.path), "\(second.stderr)")
        #expect(second.stderr.contains("pid \(server.pid)"), "\(second.stderr)")
        #expect(!second.stderr.contains("listening"))
        #expect(try client.get("/mine").dataText == "1")
        #expect(try client.put("/mine", "2").status == 200)
        let lock = try String(contentsOfFile: server.directory.file("LOCK"), encoding: .utf8)
        #expect(lock.trimmingCharacters(in: .whitespacesAndNewlines) == "\(server.pid)")
        // Once the first has gone (even by SIGKILL), the folder is free.
        #expect(server.kill9() == .signaled(SIGKILL))
        try server.restart()
        #expect(try server.connect().get("/mine").dataText == "2")
    }

    /// A --data-dir that does not exist yet is created, private to its owner.
    @Test func dataFolderIsCreatedPrivate() throws {
        let parent = try TemporaryDirectory(prefix: "zkgate-v1-parent")
        let nested = parent.file("a/b/data")
        let process = try ZKGateProcess(["--data-dir", nested])
        defer {
            process.stop()
            parent.remove()
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: nested)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(FileManager.default.fileExists(atPath: nested + "/LOCK"))
        #expect(process.stop() == .exited(0))
    }
}
