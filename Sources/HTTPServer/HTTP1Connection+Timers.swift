import HTTPCore
import Reactor

extension HTTP1Connection {
    /// One timer per connection at a time, for whatever the connection is waiting on.
    enum TimerKind: UInt64 {
        case none = 0
        /// Between requests; extended lazily (no wheel operation per request).
        case idle
        /// A partial head; fixed from its first byte, so trickling bytes cannot extend it.
        case header
        /// A partial body; fixed from the end of the head.
        case body
        /// The client is not reading our answer; extended lazily on progress.
        case write
        /// Closing: waiting for the client's FIN.
        case linger
    }

    /// Sets the timer for what the connection waits on now.
    func updateTimer() {
        let now = loop.now
        let writing = !out.isEmpty
        switch phase {
        case .reading:
            if writing {
                setTimer(.write, now + config.writeTimeout)
            } else if parser.isIdle && inbound.isEmpty {
                setTimer(.idle, now + config.idleTimeout)
            } else if parser.isReadingBody {
                setTimer(.body, bodyStartedAt + config.bodyTimeout)
            } else {
                setTimer(.header, headStartedAt + config.headerTimeout)
            }
        case .handling, .streaming:
            setTimer(writing ? .write : .none, now + config.writeTimeout)
        case .lingering:
            if writing {
                setTimer(.write, now + config.writeTimeout)
            } else {
                setTimer(.linger, now + config.lingerTimeout)
            }
        case .closed:
            cancelTimer()
        }
    }

    func setTimer(_ kind: TimerKind, _ deadline: UInt64) {
        if kind == timerKind && kind != .none {
            if kind == .idle || kind == .write { lazyDeadline = deadline }
            return
        }
        cancelTimer()
        guard kind != .none else { return }
        timerKind = kind
        lazyDeadline = deadline
        timerSequence &+= 1
        timer = loop.scheduleTimer(at: deadline, target: self, token: timerSequence << 8 | kind.rawValue)
    }

    func cancelTimer() {
        if timerKind != .none { loop.cancelTimer(timer) }
        timer = .none
        timerKind = .none
    }

    func timerFired(_ token: UInt64) {
        guard phase != .closed, token >> 8 == timerSequence, let kind = TimerKind(rawValue: token & 0xFF),
            kind == timerKind
        else { return }
        timer = .none
        timerKind = .none
        switch kind {
        case .idle, .write:
            if loop.now < lazyDeadline {
                setTimer(kind, lazyDeadline)
            } else if kind == .idle {
                close()
            } else {
                abort()
            }
        case .header, .body:
            closeAfterResponse = true
            respond(.problem(.requestTimeout, type: "request-timeout",
                detail: kind == .header ? "The request head did not arrive in time." : "The request body did not arrive in time."))
        case .linger:
            close()
        case .none:
            break
        }
    }
}
