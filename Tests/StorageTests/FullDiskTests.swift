import Foundation
import Storage
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The log on a real filesystem that fills up: a tmpfs of a few hundred KiB.
@Suite("WriteAheadLog on a full disk", .enabled(if: Tmpfs.isPermitted, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"))
struct FullDiskTests {
    /// ENOSPC fails the append that met it and suspends the log, with the file cut back to its
    /// acknowledged records; once space is freed, `resume` lets appends go on, numbered on from
    /// the last acknowledged record; a reopen finds exactly the acknowledged records.
    @Test(.timeLimit(.minutes(1)))
    func aFullDiskSuspendsTheLogUntilResumed() throws {
        let disk = try Tmpfs(sizeBytes: 512 << 10)
        defer { disk.unmount() }
        #expect(disk.fill("filler", bytes: 128 << 10) == 128 << 10)
        let directory = try DataDirectory(path: disk.file("data"))
        let (log, _, _) = try WriteAheadLog.open(directory: directory)
        let payload = [UInt8](repeating: 0x5A, count: 3_000)
        var acknowledged: [UInt64] = []
        var failure: StorageError?
        while failure == nil {
            switch appendAndWait(log, payload) {
            case .success(let sequence): acknowledged.append(sequence)
            case .failure(let error): failure = error
            }
            #expect(acknowledged.count < 1_000, "the disk never filled")
            if acknowledged.count >= 1_000 { break }
        }
        let error = try #require(failure)
        #expect(error.isOutOfSpace, "\(error)")
        #expect(acknowledged == Array(1...UInt64(acknowledged.count)))
        // Suspended: the next append fails with the same error without touching the disk.
        #expect(appendAndWait(log, payload) == .failure(error))
        // The active segment holds exactly the acknowledged records.
        let segments = log.segmentPaths
        let onDisk = segments.reduce(0) { $0 + fileSize($1) }
        #expect(onDisk == segments.count * LogRecordCodec.segmentHeaderSize
            + acknowledged.count * (LogRecordCodec.recordHeaderSize + payload.count))

        disk.remove("filler")
        #expect(log.resume())
        let next = UInt64(acknowledged.count + 1)
        #expect(appendAndWait(log, payload) == .success(next))
        #expect(appendAndWait(log, payload) == .success(next + 1))
        acknowledged += [next, next + 1]
        log.close()
        directory.close()

        let reopened = try DataDirectory(path: disk.file("data"))
        let (log2, records, report) = try WriteAheadLog.open(directory: reopened)
        #expect(records.map(\.sequence) == acknowledged, "\(report)")
        #expect(report.truncation == nil, "nothing partial was left: \(report)")
        log2.close()
        reopened.close()
    }

    /// A failed rotation (no room for the next segment) keeps the records in the current
    /// segment and leaves no stray file behind.
    @Test(.timeLimit(.minutes(1)))
    func aRotationWithoutRoomKeepsTheCurrentSegment() throws {
        let disk = try Tmpfs(sizeBytes: 256 << 10)
        defer { disk.unmount() }
        let directory = try DataDirectory(path: disk.file("data"))
        let (log, _, _) = try WriteAheadLog.open(directory: directory)
        #expect(appendAndWait(log, [1]) == .success(1))
        // Fill the rest of the disk, then free a few pages: room for records, not for much more.
        disk.fill("filler", bytes: 1 << 20)
        #expect(disk.availableBytes < 4096)
        let fd = open(disk.file("filler"), O_WRONLY)
        ftruncate(fd, off_t(max(0, fileSize(disk.file("filler")) - 4096)))
        close(fd)
        let done = DispatchSemaphore(value: 0)
        log.append([2], endsSegment: true) { result in
            #expect(result == .success(2))
            done.signal()
        }
        done.wait()
        // The rotation after record 2 may or may not have found room for a segment header.
        let names = disk.file("data")
        let stray = ((try? FileManager.default.contentsOfDirectory(atPath: names)) ?? []).filter { $0.hasSuffix(".tmp") }
        #expect(stray.isEmpty)
        disk.remove("filler")
        #expect(appendAndWait(log, [3]) == .success(3))
        log.close()
        directory.close()
        let reopened = try DataDirectory(path: disk.file("data"))
        let (log2, records, _) = try WriteAheadLog.open(directory: reopened)
        #expect(records.map(\.sequence) == [1, 2, 3])
        log2.close()
        reopened.close()
    }
}
