import Dispatch
import Foundation
import Storage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A fresh folder under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var base = NSTemporaryDirectory()
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/zkgate-storage-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// The names in the folder, sorted.
    func entries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The payload the probe writes for `sequence` (a copy of `probePayload` in
/// Tests/StorageProbe/main.swift, which is an executable's module and cannot be imported).
func probePayload(_ sequence: UInt64) -> [UInt8] {
    let length = Int((sequence &* 2_654_435_761) % 200)
    return (0..<length).map { UInt8(truncatingIfNeeded: sequence &+ UInt64($0) &* 7) }
}

/// Appends and blocks until the completion, like a request handler waiting for durability.
@discardableResult
func appendAndWait(_ log: WriteAheadLog, _ payload: [UInt8]) -> Result<UInt64, StorageError> {
    let outcome = Mutex<Result<UInt64, StorageError>?>(nil)
    let done = DispatchSemaphore(value: 0)
    log.append(payload) { result in
        outcome.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return outcome.withLock { $0! }
}

/// Bytes of a file (empty when it does not exist).
func fileBytes(_ path: String) -> [UInt8] {
    (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func removeFile(_ path: String) throws { try FileManager.default.removeItem(atPath: path) }

func renameFile(_ from: String, _ to: String) throws { try FileManager.default.moveItem(atPath: from, toPath: to) }

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : -1
}

/// The `wal-*.log` files in `directory`, oldest first.
func segmentNames(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasPrefix("wal-") && $0.hasSuffix(".log") }
        .sorted()
}

