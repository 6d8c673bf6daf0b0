import Foundation
import Storage
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("DataDirectory")
struct DataDirectoryTests {
    @Test func createsMissingFoldersOwnerOnlyAndWritesPid() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.file("a/b/data")
        let directory = try DataDirectory(path: path)
        defer { directory.close() }
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFDIR)
        #expect(st.st_mode & 0o777 == 0o700)
        #expect(stat(tmp.file("a"), &st) == 0 && st.st_mode & 0o777 == 0o700)
        #expect(String(decoding: fileBytes(path + "/LOCK"), as: UTF8.self) == "\(getpid())\n")
    }

    @Test func aFileIsNotADataDirectory() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        try writeFile(tmp.file("plain"), [1, 2, 3])
        #expect(throws: StorageError.notADirectory(path: tmp.file("plain"))) {
            try DataDirectory(path: tmp.file("plain"))
        }
        // A file on the way to the folder is named in the error, too.
        #expect(throws: StorageError.notADirectory(path: tmp.file("plain"))) {
            try DataDirectory(path: tmp.file("plain/data"))
        }
        #expect(StorageError.notADirectory(path: "/x").description == "/x exists and is not a directory; choose another --data-dir")
    }

    // Root may write anywhere, so the refusal can only be seen as another user.
    @Test(.enabled(if: geteuid() != 0, "root bypasses file permissions"))
    func unwritableFolderIsRefused() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.file("readonly")
        #expect(mkdir(path, 0o500) == 0)
        #expect(throws: StorageError.notWritable(path: path)) { try DataDirectory(path: path) }
    }

    @Test func secondOpenerInThisProcessIsRefusedUntilClose() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let first = try DataDirectory(path: tmp.path)
        #expect(throws: StorageError.locked(path: tmp.path, pid: getpid())) { try DataDirectory(path: tmp.path) }
        first.close()
        let second = try DataDirectory(path: tmp.path)
        second.close()
    }

    /// The real case: another zkgate process holds the folder. Its pid is in the error, and the
    /// lock goes away with the process even when it is killed without a chance to clean up.
    @Test(.timeLimit(.minutes(1)))
    func lockHeldByAnotherProcessIsRefusedAndReleasedWhenItDies() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let holder = try ProbeProcess(["lock", tmp.path])
        #expect(holder.waitForStdout(timeout: 30) { $0.contains("locked \(holder.pid)") }, "\(holder.stderrText)")

        let refused = #expect(throws: StorageError.self) { try DataDirectory(path: tmp.path) }
        #expect(refused == .locked(path: tmp.path, pid: holder.pid))
        #expect(refused?.description
            == "another zkgate process (pid \(holder.pid)) is using \(tmp.path); stop it or choose another --data-dir")

        holder.signal(SIGKILL)
        #expect(ProbeProcess.terminatingSignal(holder.waitForExit(timeout: 30)) == SIGKILL)
        let mine = try DataDirectory(path: tmp.path)
        #expect(String(decoding: fileBytes(tmp.file("LOCK")), as: UTF8.self) == "\(getpid())\n")
        mine.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func anotherProcessIsRefusedWhileWeHoldTheLock() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = try DataDirectory(path: tmp.path)
        let result = try runCommand(try ProbeProcess.binaryPath(), ["lock", tmp.path], timeout: 30)
        #expect(result.status == 3)
        #expect(result.stderr.contains(
            "another zkgate process (pid \(getpid())) is using \(tmp.path); stop it or choose another --data-dir"))
        directory.close()
    }
}
