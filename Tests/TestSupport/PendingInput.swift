#if canImport(Glibc)
import Glibc
#endif

extension RawHTTPClient {
    /// Whether any byte from the server is waiting (buffered here or in the socket), checked
    /// without blocking and without consuming it. A parked long-poll must have nothing waiting.
    public var hasPendingInput: Bool {
        if !unread.isEmpty { return true }
        guard fd >= 0 else { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// Waits up to `timeout` for the server to send something, without consuming it; returns
    /// whether it did.
    public func waitForInput(timeout: Double) -> Bool {
        if !unread.isEmpty { return true }
        guard fd >= 0 else { return false }
        let deadline = Deadline(secondsFromNow: timeout)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, deadline.remainingMilliseconds)
            if ready > 0 { return true }
            if ready == 0 || (ready < 0 && errno != EINTR) { return false }
        }
    }
}
