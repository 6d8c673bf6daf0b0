import Reactor
import SystemCalls
import TLS

#if canImport(Glibc)
import Glibc
#endif

/// The read step every connection shares, whatever its protocol.
extension ServerLoop {
    enum SocketRead {
        /// Bytes read, in the loop's shared buffer: valid until the next read on this loop.
        case bytes(UnsafeRawBufferPointer)
        case wouldBlock
        /// The peer closed its side (read returned 0).
        case closed
        /// The socket failed (reset).
        case failed
    }

    /// Reads what `fd` has into the loop's shared read buffer.
    func read(_ fd: Int32) -> SocketRead {
        let buffer = readBuffer
        do {
            switch try syscall("read", { Glibc.read(fd, buffer.baseAddress, buffer.count) }) {
            case .wouldBlock: return .wouldBlock
            case .done(0): return .closed
            case .done(let n): return .bytes(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        } catch {
            return .failed
        }
    }

    /// Passes bytes read through a connection's TLS session. On failure (a refused handshake
    /// or a bad record) the alert goes out through `sendRaw`, the failure is counted, and nil
    /// is returned: the caller closes the connection.
    func unseal(
        _ bytes: UnsafeRawBufferPointer, with tls: TLSSession, peer: String, sendRaw: (UnsafeRawBufferPointer) -> Void
    ) -> TLSSession.Output? {
        do {
            let output = try tls.receive(bytes)
            if !output.ciphertext.isEmpty { output.ciphertext.withUnsafeBytes { sendRaw($0) } }
            return output
        } catch {
            logger.debug("TLS failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            stats.add(stats.tlsFailures)
            tls.failureRecords.withUnsafeBytes { sendRaw($0) }
            return nil
        }
    }
}
