import Reactor
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

extension ClientDriver {
    func openConnection(to host: HostAddress) {
        closeSocket()
        let address: SocketAddress
        do {
            guard let first = try Socket.resolve(host: host.host, port: host.port).first else {
                throw SystemError(code: ENOENT, call: "resolve \(host)")
            }
            address = first
            let (socket, inProgress) = try Socket.connect(to: address)
            fd = socket
            connecting = inProgress
            registration = try loop.register(
                fd: socket, interest: inProgress ? Readiness.writable : Readiness.readable, handler: self)
            if !inProgress { perform(machine.connectionEstablished(now: now)) }
        } catch {
            closeSocket()
            perform(machine.connectionFailed(now: now))
        }
    }

    func closeSocket() {
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
    }

    /// The connection failed under us: tell the machine.
    func socketFailed() {
        closeSocket()
        perform(machine.connectionFailed(now: now))
    }

    func handleEvents(_ events: UInt32) {
        if connecting {
            let err = Socket.pendingError(fd)
            guard err == 0 else { return socketFailed() }
            connecting = false
            wantsWrite = false
            if let registration { try? loop.modify(registration, interest: Readiness.readable) }
            perform(machine.connectionEstablished(now: now))
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
            if n == 0 { return socketFailed() }
            framer.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            while generation == current {
                let packet: [UInt8]?
                // A packet over the limit cannot be skipped: the stream would lose its framing.
                do { packet = try framer.next() } catch { return socketFailed() }
                guard let packet else { break }
                perform(machine.received(packet, now: now))
            }
            if n < readBuffer.count { return }
        }
    }


    func flush() {
        guard fd >= 0, !connecting, outboundOffset < outbound.count else { return }
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
