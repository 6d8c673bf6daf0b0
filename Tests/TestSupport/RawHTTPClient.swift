import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a client call did not produce what was asked.
public enum HTTPClientError: Error, CustomStringConvertible, Equatable {
    case system(call: String, errno: Int32)
    /// The deadline passed while waiting for `waitingFor`.
    case timedOut(waitingFor: String, received: Int)
    /// The server closed the connection before a complete response.
    case closed(waitingFor: String)
    /// The connection was reset (RST), e.g. closed with unread data.
    case reset
    case malformed(String)

    public var description: String {
        switch self {
        case .system(let call, let e): "\(call) failed: \(String(cString: strerror(e)))"
        case .timedOut(let what, let n): "timed out waiting for \(what) (\(n) bytes buffered)"
        case .closed(let what): "connection closed while waiting for \(what)"
        case .reset: "connection reset by peer"
        case .malformed(let why): "malformed response: \(why)"
        }
    }
}

/// How a connection ended when a test waited for the server to close it.
public enum CloseOutcome: Equatable, Sendable {
    /// Orderly close (FIN); `unread` is what arrived before it.
    case closed(unread: [UInt8])
    case reset(unread: [UInt8])
    /// Still open when the wait ended.
    case stillOpen(unread: [UInt8])
}

/// A blocking HTTP/1.1 client on one TCP connection, written against raw sockets so tests
/// control every byte and can see framing, pipelining and closes exactly. Every read waits
/// with poll(2) against a deadline, and SO_RCVTIMEO/SO_SNDTIMEO back that up, so a test can
/// never hang on a silent server. Not thread-safe: one client per thread.
public final class RawHTTPClient {
    public private(set) var fd: Int32
    public let port: UInt16
    /// Bytes received and not yet consumed by a read call.
    private var buffer: [UInt8] = []
    private var start = 0
    /// The server closed its side (we read EOF).
    public private(set) var sawEOF = false
    /// Default wait for one response.
    public var timeout: Double

    /// - Parameter receiveBuffer: SO_RCVBUF to set before connecting (to make a slow reader).
    public init(port: UInt16, timeout: Double = 10, receiveBuffer: Int32? = nil) throws {
        self.port = port
        self.timeout = timeout
        // CLOEXEC: servers spawned by tests running in parallel must not inherit this socket,
        // or closing it here would not close the connection.
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError.system(call: "socket", errno: errno) }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if r != 0 {
            let e = errno
            Glibc.close(fd)
            fd = -1
            throw HTTPClientError.system(call: "connect", errno: e)
        }
        var tv = timeval(tv_sec: Int(timeout) + 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    /// Closes the socket (FIN; RST if the server's data is unread).
    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Closes the socket with an RST (SO_LINGER 0), as a crashed client would.
    public func abort() {
        guard fd >= 0 else { return }
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    /// Gives up the socket without closing it: the caller now owns the descriptor. Lets a
    /// test hold many bare connections open across threads (a descriptor is Sendable).
    public func releaseDescriptor() -> Int32 {
        let released = fd
        fd = -1
        return released
    }

    /// Half-closes our side: the server reads EOF but can still answer.
    public func shutdownWrite() { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }

    // MARK: Sending

    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw errno == ECONNRESET ? HTTPClientError.reset : HTTPClientError.system(call: "send", errno: errno)
            }
            sent += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends one request built by `HTTPRequestBytes.make` and reads its response.
    @discardableResult
    public func request(
        _ method: String, _ target: String, version: String = "HTTP/1.1", headers: [(String, String)] = [],
        body: [UInt8]? = nil, timeout: Double? = nil
    ) throws -> HTTPTestResponse {
        try send(HTTPRequestBytes.make(method, target, version: version, headers: headers, body: body))
        return try readResponse(method: method, timeout: timeout)
    }

    // MARK: Reading

    /// Bytes buffered and not consumed.
    public var unread: [UInt8] { Array(buffer[start...]) }

    /// Reads more bytes into the buffer. Returns false at EOF; throws at the deadline.
    @discardableResult
    private func fill(_ deadline: Deadline, _ what: @autoclosure () -> String) throws -> Bool {
        if sawEOF { return false }
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, deadline.remainingMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw HTTPClientError.system(call: "poll", errno: errno)
            }
            if ready == 0 { throw HTTPClientError.timedOut(waitingFor: what(), received: buffer.count - start) }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
            if n == 0 {
                sawEOF = true
                return false
            }
            switch errno {
            case EINTR, EAGAIN: continue
            case ECONNRESET: throw HTTPClientError.reset
            default: throw HTTPClientError.system(call: "recv", errno: errno)
            }
        }
    }

    /// Drops consumed bytes. Only between reads, so indices taken during one stay valid.
    private func compact() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
    }

    /// A line without its CRLF.
    private func readLine(_ deadline: Deadline, _ what: String) throws -> [UInt8] {
        var scanFrom = start
        while true {
            if buffer.count - scanFrom >= 2 {
                for i in scanFrom..<(buffer.count - 1) where buffer[i] == 0x0D && buffer[i + 1] == 0x0A {
                    let line = Array(buffer[start..<i])
                    start = i + 2
                    return line
                }
                scanFrom = buffer.count - 1
            }
            guard try fill(deadline, what) else { throw HTTPClientError.closed(waitingFor: what) }
        }
    }

    private func readExactly(_ count: Int, _ deadline: Deadline, _ what: String) throws -> [UInt8] {
        while buffer.count - start < count {
            guard try fill(deadline, what) else { throw HTTPClientError.closed(waitingFor: what) }
        }
        let bytes = Array(buffer[start..<(start + count)])
        start += count
        return bytes
    }

    /// Reads one response. Interim (1xx) responses are returned like any other, so tests can
    /// see them; call again for the final one. `method` tells whether a body can follow.
    public func readResponse(method: String = "GET", timeout: Double? = nil) throws -> HTTPTestResponse {
        let deadline = Deadline(secondsFromNow: timeout ?? self.timeout)
        compact()
        let headStart = start
        let statusLine = String(decoding: try readLine(deadline, "the status line"), as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw HTTPClientError.malformed("status line \(statusLine.debugDescription)")
        }
        var headers: [HTTPTestResponse.Field] = []
        while true {
            let line = String(decoding: try readLine(deadline, "header lines"), as: UTF8.self)
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw HTTPClientError.malformed("header \(line.debugDescription)") }
            headers.append(.init(
                name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let rawHead = Array(buffer[headStart..<start])
        var response = HTTPTestResponse(
            version: String(parts[0]), status: status, reason: parts.count > 2 ? String(parts[2]) : "",
            headers: headers, rawHead: rawHead, body: [], rawBody: [], framing: .none)
        let noBody = method == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304
        if noBody { return response }
        if let te = response.header("Transfer-Encoding"), te.lowercased().contains("chunked") {
            response.framing = .chunked
            try readChunkedBody(into: &response, deadline)
        } else if let cl = response.header("Content-Length") {
            guard let length = Int(cl), length >= 0 else { throw HTTPClientError.malformed("Content-Length \(cl)") }
            response.framing = .contentLength(length)
            response.body = try readExactly(length, deadline, "a \(length)-byte body")
            response.rawBody = response.body
        } else {
            response.framing = .untilClose
            while try fill(deadline, "the body up to the close") {}
            response.body = Array(buffer[start...])
            response.rawBody = response.body
            start = buffer.count
        }
        return response
    }

    private func readChunkedBody(into response: inout HTTPTestResponse, _ deadline: Deadline) throws {
        while true {
            let sizeLine = try readLine(deadline, "a chunk size line")
            response.rawBody += sizeLine + [0x0D, 0x0A]
            let sizeText = String(decoding: sizeLine, as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HTTPClientError.malformed("chunk size \(sizeText.debugDescription)")
            }
            if size == 0 {
                while true {
                    let trailer = try readLine(deadline, "the trailer section")
                    response.rawBody += trailer + [0x0D, 0x0A]
                    if trailer.isEmpty { return }
                }
            }
            let data = try readExactly(size, deadline, "chunk data")
            let crlf = try readExactly(2, deadline, "the CRLF after chunk data")
            guard crlf == [0x0D, 0x0A] else { throw HTTPClientError.malformed("no CRLF after chunk data") }
            response.body += data
            response.rawBody += data + crlf
        }
    }

    /// Waits for the server to close the connection, returning what arrived first. Never
    /// throws: the outcome is the assertion subject.
    public func waitForClose(timeout: Double) -> CloseOutcome {
        let deadline = Deadline(secondsFromNow: timeout)
        do {
            while try fill(deadline, "the server to close") {}
            let rest = unread
            start = buffer.count
            return .closed(unread: rest)
        } catch HTTPClientError.reset {
            return .reset(unread: unread)
        } catch {
            return .stillOpen(unread: unread)
        }
    }

    /// Reads whatever arrives within `timeout` (until EOF or the time is up).
    public func readAvailable(timeout: Double) throws -> [UInt8] {
        let deadline = Deadline(secondsFromNow: timeout)
        do {
            while try fill(deadline, "more bytes") {}
        } catch HTTPClientError.timedOut {}
        let rest = unread
        start = buffer.count
        return rest
    }

    /// Whether the peer has closed, checked without waiting and without consuming data.
    public var peerHasClosed: Bool {
        if sawEOF { return true }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
}
