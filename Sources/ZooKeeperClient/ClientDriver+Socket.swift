import Reactor
import SystemCalls
import TLS

#if canImport(Glibc)
import Glibc
#endif

extension ClientDriver {
    /// Opens a connection to `host` for the machine's `.connect`. A name is looked up on a
    /// thread of its own (`HostResolver`), so a slow name server stalls no loop; the lookup
    /// counts against the attempt's connect timeout like the TCP connect after it.
    func openConnection(to host: HostAddress) {
        closeSocket()
        member = host
        if let address = Socket.numericAddress(host: host.host, port: host.port) {
            return connect(to: [address])
        }
        let ticket = LookupTicket(driver: self)
        pendingLookup = ticket
        let loop = self.loop
        resolve(host) { outcome in
            loop.execute { ticket.deliver(outcome) }
        }
    }

    /// The lookup of the current attempt answered.
    func resolved(_ outcome: HostResolver.Outcome) {
        switch outcome {
        case .success(let addresses) where !addresses.isEmpty:
            connect(to: addresses)
        case .success:
            attemptFailed("the name has no address")
        case .failure(let error):
            // The resolver's message is in `call`; the errno (ENOENT) adds nothing to it.
            attemptFailed(error.code == ENOENT ? error.call : error.description)
        }
    }

    /// The current attempt failed for `reason`: published for the layer above (a start-up that
    /// gives up says why), and the machine moves on.
    func attemptFailed(_ reason: String) {
        published.setFailure("\(member.map { "\($0)" } ?? "?"): \(reason)")
        perform(machine.connectionFailed(now: now))
    }

    /// Connects to the first of `addresses` that takes: each one that fails (at once or when
    /// its connect completes) gives way to the next, and the machine hears of a failure only
    /// when none is left.
    func connect(to addresses: [SocketAddress]) {
        candidates = addresses[...]
        connectToNextCandidate()
    }

    /// `failure` is why the address before failed, reported if no other is left.
    func connectToNextCandidate(after failure: String = "no address to try") {
        var failure = failure
        while let address = candidates.popFirst() {
            do {
                let (socket, inProgress) = try Socket.connect(to: address)
                fd = socket
                connectingTo = address
                connecting = inProgress
                registration = try loop.register(
                    fd: socket, interest: inProgress ? Readiness.writable : Readiness.readable, handler: self)
                if !inProgress { transportReady() }
                return
            } catch {
                releaseSocket()
                failure = describe(error, at: address)
            }
        }
        attemptFailed(failure)
    }

    /// A failed connect, naming the address when the member was named otherwise.
    func describe(_ error: SystemError, at address: SocketAddress?) -> String {
        guard let address, "\(address)" != member.map({ "\($0)" }) else { return "\(error)" }
        return "\(address): \(error)"
    }

    /// Ends the current connection or attempt: its socket, its lookup (whose answer is then
    /// ignored) and the addresses it had left to try.
    func closeSocket() {
        pendingLookup?.driver = nil
        pendingLookup = nil
        candidates = []
        releaseSocket()
    }

    func releaseSocket() {
        guard fd >= 0 else { return }
        if let registration { loop.deregister(registration) }
        registration = nil
        Glibc.close(fd)
        fd = -1
        connecting = false
        wantsWrite = false
        generation &+= 1
        framer = PacketFramer(maxLength: Int32(machine.configuration.maxPacketLength))
        outbound.removeAll(keepingCapacity: true)
        outboundOffset = 0
        tlsSession = nil
        tlsPeerClosed = false
        plaintextOutbound.removeAll(keepingCapacity: true)
    }

    /// The TCP connection is up. Without TLS the machine sends its ConnectRequest now; with
    /// TLS the handshake comes first (the ClientHello goes out here), within the same connect
    /// timeout, and the machine hears of the connection when it completes.
    func transportReady() {
        guard let tls else { return perform(machine.connectionEstablished(now: now)) }
        do {
            let session = try TLSSession(client: tls, serverName: member?.host ?? "")
            tlsSession = session
            outbound.append(contentsOf: try session.start())
        } catch {
            releaseSocket()
            return attemptFailed("\(error)")
        }
    }

    /// Bytes read from the socket, through TLS when it is on. Returns false when the
    /// connection failed (and was dealt with).
    func received(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let session = tlsSession else {
            framer.append(bytes)
            return true
        }
        let output: TLSSession.Output
        do {
            output = try session.receive(bytes)
        } catch {
            // A certificate that fails verification, ours refused by the member: the attempt
            // fails with the reason, which a start-up that gives up reports with the member.
            let handshaking = !machine.isConnected
            releaseSocket()
            if handshaking { attemptFailed("\(error)") } else { socketFailed() }
            return false
        }
        outbound.append(contentsOf: output.ciphertext)
        if output.handshakeCompleted { perform(machine.connectionEstablished(now: now)) }
        output.plaintext.withUnsafeBytes { framer.append($0) }
        // close_notify: the packets before it are still answers; the connection ends after them.
        if output.peerClosed { tlsPeerClosed = true }
        return true
    }

    /// The connection failed under us: tell the machine.
    func socketFailed() {
        closeSocket()
        perform(machine.connectionFailed(now: now))
    }

    func handleEvents(_ events: UInt32) {
        if connecting {
            let error = Socket.pendingError(fd)
            guard error == 0 else {
                let failure = describe(SystemError(code: error, call: "connect"), at: connectingTo)
                releaseSocket()
                return connectToNextCandidate(after: failure)
            }
            connecting = false
            wantsWrite = false
            if let registration { try? loop.modify(registration, interest: Readiness.readable) }
            transportReady()
            return
        }
        if events & (Readiness.readable | Readiness.hangup | Readiness.error) != 0 { readAvailable() }
        if fd >= 0 && events & Readiness.writable != 0 { flush() }
    }

    func readAvailable() {
        let current = generation
        while fd >= 0 && generation == current {
            let result: IOResult<Int>
            do {
                result = try syscall("read") { Glibc.read(fd, readBuffer.baseAddress, readBuffer.count) }
            } catch {
                return socketFailed()
            }
            guard case .done(let n) = result else { return }
            if n == 0 {
                guard tlsSession?.state == .handshaking else { return socketFailed() }
                releaseSocket()
                return attemptFailed("the member closed the connection during the TLS handshake (a plaintext client port?)")
            }
            guard received(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])) else { return }
            while generation == current {
                let packet: [UInt8]?
                // A packet over the limit cannot be skipped: the stream would lose its framing.
                do { packet = try framer.next() } catch { return socketFailed() }
                guard let packet else { break }
                perform(machine.received(packet, now: now))
            }
            if tlsPeerClosed && generation == current { return socketFailed() }
            if n < readBuffer.count { return }
        }
    }


    func flush() {
        guard fd >= 0, !connecting else { return }
        // With TLS, what the machine queued is sealed here, once per loop iteration: one
        // record for everything queued, not one per request.
        if let session = tlsSession, session.state == .established, !plaintextOutbound.isEmpty {
            let sealed = plaintextOutbound.withUnsafeBytes { raw -> Bool in
                do { try session.seal(raw, appendingTo: &outbound) } catch { return false }
                return true
            }
            guard sealed else { return socketFailed() }
            plaintextOutbound.removeAll(keepingCapacity: plaintextOutbound.capacity <= 1 << 20)
        }
        guard outboundOffset < outbound.count else { return }
        while outboundOffset < outbound.count {
            let result: IOResult<Int>
            do {
                result = try outbound.withUnsafeBytes { raw throws(SystemError) in
                    try syscall("send") {
                        Glibc.send(fd, raw.baseAddress! + outboundOffset, raw.count - outboundOffset, Int32(MSG_NOSIGNAL))
                    }
                }
            } catch {
                return socketFailed()
            }
            switch result {
            case .done(let n): outboundOffset += n
            case .wouldBlock: return setInterest(write: true)
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        outboundOffset = 0
        setInterest(write: false)
    }

    func setInterest(write: Bool) {
        guard let registration, !connecting, write != wantsWrite else { return }
        wantsWrite = write
        try? loop.modify(registration, interest: Readiness.readable | (write ? Readiness.writable : 0))
    }
}

/// The lookup of one connect attempt. It holds the driver only while the attempt waits for
/// it: an attempt given up (timed out, closed) lets go, so a late answer finds no driver and
/// is dropped, and a lookup that outlives the client's loop keeps nothing alive. Touched only
/// on the driver's loop.
final class LookupTicket: @unchecked Sendable {
    var driver: ClientDriver?

    init(driver: ClientDriver) { self.driver = driver }

    func deliver(_ outcome: HostResolver.Outcome) {
        guard let driver else { return }
        self.driver = nil
        driver.pendingLookup = nil
        driver.resolved(outcome)
    }
}
