import Coordination
import EmbeddedBackend
import Foundation
import Logging
import Storage
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The embedded store's disk use: size-triggered snapshots and what they delete, the size
/// quota, and a full disk. Specific to the embedded store (a ZooKeeper ensemble has its own
/// quotas and stops on a full disk), so written against `EmbeddedStore` directly.
@Suite("Embedded store: snapshots, quota and a full disk")
struct EmbeddedStorageTests {
    static let logger = Logger(label: "zkgate.storage-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("zkgate-storage-\(UUID().uuidString)").path
    }

    static func node(_ text: String) -> ZNodePath { try! ZNodePath(validating: text) }

    static func create(_ store: EmbeddedStore, _ path: String, size: Int, byte: UInt8 = 1) async throws(MultiFailure) {
        _ = try await store.commit(
            [.create(path: node(path), data: [UInt8](repeating: byte, count: size), mode: .persistent)], session: nil)
    }

    static func setData(_ store: EmbeddedStore, _ path: String, size: Int, byte: UInt8 = 1) async throws(MultiFailure) {
        _ = try await store.commit(
            [.setData(path: node(path), data: [UInt8](repeating: byte, count: size), version: -1)], session: nil)
    }

    static func delete(_ store: EmbeddedStore, _ path: String) async throws(MultiFailure) {
        _ = try await store.commit([.delete(path: node(path), version: -1)], session: nil)
    }

    static func files(_ folder: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            var st = stat()
            if stat(folder + "/" + name, &st) == 0 { result[name] = Int(st.st_size) }
        }
        return result
    }

    /// Waits until no snapshot is being written (they run off the writer thread).
    static func settle(_ folder: String) {
        _ = eventually(timeout: 10, every: 0.02) { !files(folder).keys.contains { $0.hasSuffix(".tmp") } }
        sleepSeconds(0.2)
    }

    /// An 8 KB node rewritten 400 times (3.2 MB of log) with a 256 KiB minimum: snapshots come
    /// by size long before the 20,000-record trigger, each removes the log it covers, and the
    /// folder ends with one snapshot and one segment; a restart finds the last write.
    @Test func sizeTriggeredSnapshotsRemoveTheLogTheyCover() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configuration = EmbeddedStore.Configuration(
            dataDirectory: folder, snapshotMinimumBytes: 256 << 10, reserveBytes: 0)
        var store: EmbeddedStore? = try EmbeddedStore(configuration: configuration, logger: Self.logger)
        try await Self.create(store!, "/live", size: 8_000)
        for i in 1..<400 { try await Self.setData(store!, "/live", size: 8_000, byte: UInt8(i % 251)) }
        Self.settle(folder)
        let files = Self.files(folder)
        #expect(files.keys.filter { $0.hasSuffix(".snap") }.count == 1, "\(files)")
        #expect(files.keys.filter { $0.hasPrefix("wal-") }.count == 1, "\(files)")
        #expect(files.values.reduce(0, +) < 400 << 10, "\(files)")
        store!.shutdown()
        store = nil

        let reopened = try EmbeddedStore(configuration: configuration, logger: Self.logger)
        let read = try #require(reopened.readNow(Self.node("/live"), children: false)?.node)
        #expect(read.data == [UInt8](repeating: UInt8(399 % 251), count: 8_000))
        #expect(read.stat.version == 399)
        reopened.shutdown()

        // Without the snapshot, the log no longer reaches back to the start: refused, not
        // replayed from the middle.
        for name in files.keys where name.hasSuffix(".snap") { try FileManager.default.removeItem(atPath: folder + "/" + name) }
        #expect {
            _ = try EmbeddedStore(configuration: configuration, logger: Self.logger)
        } throws: { error in
            guard case .missingRecords = error as? StorageError else { return false }
            return true
        }
    }

    /// Filled to its quota, the store refuses what grows (507 quota-exceeded at the HTTP
    /// layer), and serves reads, deletes and shrinking writes; after a delete, a create fits
    /// again.
    @Test func pastTheQuotaOnlyWritesThatGrowAreRefused() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let quota = 100_000
        let store = try EmbeddedStore(
            configuration: .init(dataDirectory: folder, quotaBytes: quota, reserveBytes: 0), logger: Self.logger)
        defer { store.shutdown() }
        let session = try await store.openSession(timeoutMs: 30_000)
        var created = 0
        var refusal: MultiFailure?
        while refusal == nil && created < 100 {
            do throws(MultiFailure) {
                try await Self.create(store, "/n\(created)", size: 10_000)
                created += 1
            } catch {
                refusal = error
            }
        }
        #expect(created == 9)
        let failure = try #require(refusal)
        #expect(failure.index == -1)
        guard case .quotaExceeded(let size, quota) = failure.error else {
            Issue.record("\(failure)")
            return
        }
        #expect(size > quota)
        #expect(store.isReady)
        // Fill up to the quota exactly: now nothing that grows fits, not even a session.
        let room = quota - (size - (68 + 3 + 10_000))
        try await Self.create(store, "/fill", size: room - (68 + 5))
        await #expect(throws: CoordinationError.quotaExceeded(size: quota + 16, quota: quota)) {
            _ = try await store.openSession(timeoutMs: 30_000)
        }
        await #expect(throws: MultiFailure(index: -1, error: .quotaExceeded(size: quota + 1, quota: quota))) {
            try await Self.setData(store, "/n0", size: 10_001)
        }
        await #expect(throws: MultiFailure(index: -1, error: .quotaExceeded(size: quota + 68 + 2, quota: quota))) {
            try await Self.create(store, "/e", size: 0)
        }
        // Reads, shrinking writes, deletes, renewals.
        #expect(store.readNow(Self.node("/n0"), children: false)?.node?.data.count == 10_000)
        try await Self.setData(store, "/n0", size: 5_000)
        _ = try await store.renewSession(session.id)
        try await Self.delete(store, "/n1")
        // Room again.
        try await Self.create(store, "/again", size: 10_000)
        _ = try await store.openSession(timeoutMs: 30_000)
        await #expect(throws: MultiFailure.self) { try await Self.create(store, "/more", size: 20_000) }
    }

    /// The store on a tmpfs of 2 MiB with a filler file: writes until the disk is full, then
    /// 507 storage-full for what grows while reads and deletes work and the store stays ready;
    /// once the filler is removed, creates succeed again without a restart; after a restart
    /// every acknowledged write is there.
    @Test(.enabled(if: Tmpfs.isPermitted, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"), .timeLimit(.minutes(2)))
    func aFullDiskRefusesGrowthUntilThereIsRoomAgain() async throws {
        let disk = try Tmpfs(sizeBytes: 2 << 20)
        defer { disk.unmount() }
        #expect(disk.fill("filler", bytes: 512 << 10) == 512 << 10)
        let configuration = EmbeddedStore.Configuration(
            dataDirectory: disk.file("data"), snapshotMinimumBytes: 256 << 10, reserveBytes: 128 << 10)
        var store: EmbeddedStore? = try EmbeddedStore(configuration: configuration, logger: Self.logger)
        var acknowledged: [String: UInt8] = [:]
        var full: MultiFailure?
        var i = 0
        while full == nil && i < 1_000 {
            do throws(MultiFailure) {
                try await Self.create(store!, "/n\(i)", size: 20_000, byte: UInt8(i % 251))
                acknowledged["/n\(i)"] = UInt8(i % 251)
            } catch {
                full = error
            }
            i += 1
        }
        let failure = try #require(full, "the disk never filled")
        #expect(failure == MultiFailure(index: -1, error: .storageFull))
        #expect(acknowledged.count > 10)
        #expect(store!.isReady, "reads are served: ready")
        // Growing writes are refused without waiting for the disk.
        await #expect(throws: MultiFailure(index: -1, error: .storageFull)) {
            try await Self.create(store!, "/refused", size: 10)
        }
        // Reads and deletes work (a delete right after the failure may still meet the writes
        // in flight when the disk filled: retried).
        let some = try #require(acknowledged.keys.sorted().first)
        #expect(store!.readNow(Self.node(some), children: false)?.node?.data.count == 20_000)
        var deleted = false
        for _ in 0..<50 where !deleted {
            do throws(MultiFailure) {
                try await Self.delete(store!, some)
                deleted = true
            } catch {
                #expect(error.error == .storageFull)
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(deleted)
        acknowledged[some] = nil

        // Room again: creates succeed within a few polls, without a restart.
        disk.remove("filler")
        var resumed = false
        for attempt in 0..<100 where !resumed {
            do throws(MultiFailure) {
                try await Self.create(store!, "/after\(attempt)", size: 1_000, byte: 9)
                acknowledged["/after\(attempt)"] = 9
                resumed = true
            } catch {
                #expect(error.error == .storageFull)
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(resumed, "writes did not resume after space was freed")
        store!.shutdown()
        store = nil

        let reopened = try EmbeddedStore(configuration: configuration, logger: Self.logger)
        defer { reopened.shutdown() }
        var present = 0
        for (path, byte) in acknowledged {
            let data = reopened.readNow(Self.node(path), children: false)?.node?.data
            if data == [UInt8](repeating: byte, count: path.hasPrefix("/after") ? 1_000 : 20_000) { present += 1 }
        }
        #expect(present == acknowledged.count, "acknowledged \(acknowledged.count), present \(present)")
        #expect(reopened.readNow(Self.node(some), children: false)?.node == nil)
    }
}
