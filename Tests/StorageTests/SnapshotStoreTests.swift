import Foundation
import Storage
import Testing

@Suite("SnapshotStore")
struct SnapshotStoreTests {
    private func name(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return "snapshot-" + String(repeating: "0", count: 20 - digits.count) + digits + ".snap"
    }

    private func state(_ n: Int) -> [UInt8] { (0..<(n * 37)).map { UInt8(truncatingIfNeeded: $0 &* n) } }

    @Test func writesAtomicallyAndKeepsTheNewestTwo() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        defer { directory.close() }
        let store = SnapshotStore(directory: directory)
        #expect(try store.loadLatest() == nil)

        try store.write(sequence: 10, bytes: state(1))
        let file = fileBytes(tmp.file(name(10)))
        #expect(Array(file.prefix(8)) == Array("ZKGSNP01".utf8))
        #expect(file.count == SnapshotFormat.headerSize + state(1).count)
        try store.write(sequence: 20, bytes: state(2))
        try store.write(sequence: 30, bytes: [])
        #expect(try store.retainedSequences() == [30, 20])
        #expect(fileSize(tmp.file(name(10))) == -1)
        #expect(try store.loadLatest() == LoadedSnapshot(sequence: 30, bytes: [], path: tmp.file(name(30)), skipped: []))
        try store.write(sequence: 40, bytes: state(4))
        #expect(try store.loadLatest()?.bytes == state(4))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: tmp.path)).contains { $0.hasSuffix(".tmp") })
    }

    /// A crash before the rename leaves a `.tmp`: it is not a snapshot, even when newer, and
    /// the next write clears it away.
    @Test func aLeftoverTemporaryFileIsIgnored() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        defer { directory.close() }
        let store = SnapshotStore(directory: directory)
        try store.write(sequence: 5, bytes: state(5))
        // Half of a newer snapshot, as a crash mid-write leaves it.
        var half = SnapshotFormat.header(sequence: 9, bytes: state(9)) + state(9)
        half.removeLast(half.count / 2)
        try writeFile(tmp.file(name(9) + ".tmp"), half)
        #expect(try store.loadLatest() == LoadedSnapshot(sequence: 5, bytes: state(5), path: tmp.file(name(5)), skipped: []))
        try store.write(sequence: 6, bytes: state(6))
        #expect(fileSize(tmp.file(name(9) + ".tmp")) == -1)
    }

    @Test(arguments: ["flip", "truncate", "extend", "rename"])
    func aDamagedNewestSnapshotFallsBackToThePrevious(damage: String) throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        defer { directory.close() }
        let store = SnapshotStore(directory: directory)
        try store.write(sequence: 100, bytes: state(1))
        try store.write(sequence: 200, bytes: state(2))
        var newest = tmp.file(name(200))
        var bytes = fileBytes(newest)
        let expected: SnapshotDefect
        switch damage {
        case "flip":
            bytes[SnapshotFormat.headerSize + 3] ^= 1
            expected = .checksumMismatch
        case "truncate":
            bytes.removeLast(5)
            expected = .lengthMismatch(header: UInt64(state(2).count), actual: UInt64(state(2).count - 5))
        case "extend":
            bytes += [0, 0]
            expected = .lengthMismatch(header: UInt64(state(2).count), actual: UInt64(state(2).count + 2))
        default:
            try removeFile(newest)
            newest = tmp.file(name(300))
            expected = .sequenceMismatch(name: 300, header: 200)
        }
        try writeFile(newest, bytes)

        let loaded = try store.loadLatest()
        #expect(loaded?.sequence == 100)
        #expect(loaded?.bytes == state(1))
        #expect(loaded?.skipped == [SkippedSnapshot(path: newest, defect: expected)])
    }

    @Test func noIntactSnapshotIsAnError() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        defer { directory.close() }
        let store = SnapshotStore(directory: directory)
        try store.write(sequence: 1, bytes: state(1))
        try writeFile(tmp.file(name(1)), Array("garbage".utf8))
        let error = #expect(throws: StorageError.self) { try store.loadLatest() }
        #expect(error == .noUsableSnapshot(directory: tmp.path, problems: ["\(tmp.file(name(1))): header cut short after 7 bytes"]))
    }

    @Test func formatRoundTripsAndChecksTheHeader() {
        let bytes = state(3)
        let file = SnapshotFormat.header(sequence: 77, bytes: bytes) + bytes
        guard case .success(let decoded) = SnapshotFormat.decode(file) else {
            Issue.record("did not decode")
            return
        }
        #expect(decoded.sequence == 77)
        #expect(decoded.bytes == bytes)
        // The checksum covers the header: a changed sequence is caught.
        for position in 12..<20 {
            var damaged = file
            damaged[position] ^= 0x01
            guard case .failure(.checksumMismatch) = SnapshotFormat.decode(damaged) else {
                Issue.record("byte \(position) not caught")
                continue
            }
        }
    }
}
