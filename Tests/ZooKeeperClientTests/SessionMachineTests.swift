import Testing
@testable import ZooKeeperClient

/// Plays the connection and the server for a `SessionMachine`: feeds it socket events, packets
/// and the clock, and records what it asks for.
struct FakeWire {
    var machine: SessionMachine
    var now: UInt64 = 1_000_000_000
    var sent: [[UInt8]] = []
    var connects: [HostAddress] = []
    var completions: [UInt64: Result<SessionMachine.Reply, ZooKeeperError>] = [:]
    var events: [WatcherEvent] = []
    var states: [SessionState] = []
    var closes = 0

    static let hosts = [HostAddress(host: "10.0.0.1", port: 2181), HostAddress(host: "10.0.0.2", port: 2181),
                        HostAddress(host: "10.0.0.3", port: 2181)]

    init(timeoutMs: Int32 = 6_000, maxInFlight: Int = 512, chunk: Int = 128 * 1024) {
        machine = SessionMachine(
            configuration: .init(hosts: Self.hosts, sessionTimeoutMs: timeoutMs, maxInFlight: maxInFlight,
                                 watchRestoreChunkBytes: chunk),
            shuffle: { $0 })
    }

    mutating func take(_ actions: [SessionMachine.Action]) {
        for action in actions {
            switch action {
            case .connect(let h): connects.append(h)
            case .send(let b): sent.append(b)
            case .closeConnection: closes += 1
            case .complete(let id, let r): completions[id] = r
            case .event(let e): events.append(e)
            case .state(let s): states.append(s)
            }
        }
    }

    mutating func advance(ms: UInt64) { now += ms * 1_000_000; take(machine.tick(now: now)) }
    mutating func start() { take(machine.start(now: now)) }
    mutating func established() { take(machine.connectionEstablished(now: now)) }
    mutating func failed() { take(machine.connectionFailed(now: now)) }
    mutating func receive(_ packet: [UInt8]) { take(machine.received(packet, now: now)) }
    mutating func submit(_ id: UInt64, _ op: OpCode = .getData, body: [UInt8] = [], watch: WatchRegistry.Registration? = nil) {
        take(machine.submit(.init(id: id, op: op, body: body, watch: watch), now: now))
    }

    /// Connects to the next member and completes the handshake as `session`.
    mutating func handshake(session: Int64 = 0x1234, timeoutMs: Int32 = 6_000, passwd: [UInt8] = Array(repeating: 7, count: 16)) {
        established()
        receive(ConnectResponse(timeOut: timeoutMs, sessionId: session, passwd: passwd).encoded())
    }

    /// A session that saw `zxid` in a reply and then lost its connection.
    static func disconnected(session: Int64, afterZxid zxid: Int64) -> FakeWire {
        var w = FakeWire()
        w.start(); w.handshake(session: session)
        w.submit(1)
        w.receive(replyPacket(xid: 1, zxid: zxid))
        w.failed()
        return w
    }

    /// The payloads sent since `from`, without their length prefix.
    func payloads(from: Int = 0) -> [[UInt8]] { sent[from...].map { Array($0.dropFirst(4)) } }

    /// The xid of a sent request packet.
    func xid(_ packet: [UInt8]) -> Int32 {
        var r = JuteReader(Array(packet.dropFirst(4)))
        return try! r.readInt32()
    }
}

func replyPacket(xid: Int32, zxid: Int64, err: ErrorCode = .ok, body: [UInt8] = []) -> [UInt8] {
    ReplyHeader(xid: xid, zxid: zxid, err: err).encoded() + (err == .ok ? body : [])
}

@Suite struct SessionMachineTests {
    @Test func handshakeSendsOnlyTheConnectRequestThenQueuedRequests() throws {
        var w = FakeWire()
        w.start()
        #expect(w.connects == [FakeWire.hosts[0]])
        #expect(w.states == [.connecting])
        w.submit(1, body: [0xAA])
        #expect(w.sent.isEmpty, "nothing is written before the connection is up")
        w.established()
        #expect(w.sent.count == 1, "only the ConnectRequest before its reply")
        let connect = try ConnectRequest.decode(w.payloads()[0])
        #expect(connect == ConnectRequest(lastZxidSeen: 0, timeOut: 6_000, sessionId: 0))
        w.receive(ConnectResponse(timeOut: 4_000, sessionId: 42, passwd: Array(repeating: 9, count: 16)).encoded())
        #expect(w.states.last == .connected(sessionId: 42, timeoutMs: 4_000, readOnly: false))
        #expect(w.sent.count == 2)
        #expect(w.payloads(from: 1)[0] == [0, 0, 0, 1, 0, 0, 0, 4, 0xAA], "xid 1, getData, then the body")
        #expect(w.machine.negotiatedTimeoutMs == 4_000)
    }

    @Test func pipelinedRepliesCompleteInOrderAndMoveLastZxid() {
        var w = FakeWire()
        w.start(); w.handshake()
        for id in 1...3 { w.submit(UInt64(id)) }
        #expect(w.sent.count == 4)
        #expect(w.machine.inFlightCount == 3)
        w.receive(replyPacket(xid: 1, zxid: 0x10, body: [1]))
        w.receive(replyPacket(xid: 2, zxid: 0x0f, err: .noNode))
        w.receive(replyPacket(xid: 3, zxid: 0x11, body: [3]))
        #expect(w.completions[1] == .success(.init(zxid: 0x10, body: [1])))
        #expect(w.completions[2] == .failure(.server(.noNode)))
        #expect(w.completions[3] == .success(.init(zxid: 0x11, body: [3])))
        #expect(w.machine.lastZxid == 0x11)
        // Pings and notifications carry no zxid worth keeping.
        w.receive(replyPacket(xid: Xid.ping, zxid: 0x99))
        w.receive(replyPacket(xid: Xid.notification, zxid: -1, body: WatcherEvent(type: .nodeDeleted, state: .syncConnected, path: "/a").encoded()))
        #expect(w.machine.lastZxid == 0x11)
        #expect(w.events == [WatcherEvent(type: .nodeDeleted, state: .syncConnected, path: "/a")])
    }

    @Test func anOutOfOrderXidDropsTheConnectionAndFailsInFlight() {
        var w = FakeWire()
        w.start(); w.handshake()
        w.submit(1); w.submit(2)
        w.receive(replyPacket(xid: 2, zxid: 5))
        #expect(w.closes == 1)
        #expect(w.completions[1] == .failure(.connectionLoss))
        #expect(w.completions[2] == .failure(.connectionLoss))
        #expect(w.states.last == .suspended)
        #expect(w.connects == [FakeWire.hosts[0], FakeWire.hosts[1]], "the next member is tried")
    }

    @Test func inFlightFailsOnDisconnectButQueuedRequestsWaitAndAreNeverReplayed() throws {
        var w = FakeWire()
        w.start(); w.handshake(session: 77)
        w.submit(1)
        w.receive(replyPacket(xid: 1, zxid: 0x20))
        w.submit(2)
        w.failed()
        #expect(w.completions[2] == .failure(.connectionLoss))
        w.submit(3)
        let before = w.sent.count
        w.established()
        let reattach = try ConnectRequest.decode(w.payloads(from: before)[0])
        #expect(reattach.sessionId == 77)
        #expect(reattach.lastZxidSeen == 0x20)
        #expect(reattach.passwd == Array(repeating: 7, count: 16))
        #expect(w.sent.count == before + 1, "request 3 waits for the handshake")
        w.receive(ConnectResponse(timeOut: 6_000, sessionId: 77, passwd: Array(repeating: 7, count: 16)).encoded())
        #expect(w.sent.count == before + 2, "only request 3 goes out; request 2 is not replayed")
        #expect(w.xid(w.sent.last!) == 3)
    }

    @Test func queuedRequestsFailAfterTheTimeoutWithoutAConnection() {
        var w = FakeWire()
        w.start()
        w.submit(1)
        w.failed(); w.failed(); w.failed()   // every member refuses the TCP connection
        w.advance(ms: 5_999)
        #expect(w.completions[1] == nil)
        w.advance(ms: 2)
        #expect(w.completions[1] == .failure(.connectionLoss))
    }

    @Test func pingsWhenIdleAndDropsASilentConnection() {
        var w = FakeWire()
        w.start(); w.handshake(timeoutMs: 6_000)
        let before = w.sent.count
        w.advance(ms: 1_990)
        #expect(w.sent.count == before)
        w.advance(ms: 20)   // idle for timeout/3
        #expect(w.payloads(from: before) == [RequestHeader.ping.encoded()])
        w.receive(replyPacket(xid: Xid.ping, zxid: 0))
        w.advance(ms: 3_999)
        #expect(w.closes == 0)
        w.advance(ms: 2)    // nothing received for 2/3 of the timeout
        #expect(w.closes == 1)
        #expect(w.states.last == .suspended)
    }

    @Test func aMemberBehindOurZxidIsSkippedAndAWipedEnsembleExpiresTheSession() throws {
        var w = FakeWire.disconnected(session: 5, afterZxid: 0x500)
        // Each member accepts TCP but closes on our ConnectRequest (its zxid is behind).
        for _ in 0..<3 { w.established(); w.failed() }
        #expect(w.connects.count == 4)
        #expect(w.machine.sessionId == 5, "still the same session")
        w.advance(ms: 6_100)   // refused for longer than the session timeout
        let before = w.sent.count
        w.established()
        let probe = try ConnectRequest.decode(w.payloads(from: before)[0])
        #expect(probe.sessionId == 5 && probe.lastZxidSeen == 0, "a wipe probe: our session, zxid 0")
        w.receive(ConnectResponse(timeOut: 0, sessionId: 0, passwd: []).encoded())
        #expect(w.states.contains(.expired(sessionId: 5)))
        #expect(w.machine.lastZxid == 0, "a wiped ensemble never reaches our old zxid")
        let next = w.sent.count
        w.established()
        let fresh = try ConnectRequest.decode(w.payloads(from: next)[0])
        #expect(fresh.sessionId == 0 && fresh.lastZxidSeen == 0)
    }

    @Test func membersWithoutAQuorumNeverExpireTheSession() throws {
        var w = FakeWire.disconnected(session: 5, afterZxid: 0x500)
        // Every member closes on our ConnectRequest for three session timeouts.
        for _ in 0..<30 {
            w.established(); w.failed()
            w.advance(ms: 700)
        }
        #expect(!w.states.contains { if case .expired = $0 { true } else { false } })
        #expect(w.machine.sessionId == 5)
        // Quorum is back: the member accepts the session (sent with lastZxidSeen 0 by now).
        w.handshake(session: 5)
        #expect(w.states.last == .connected(sessionId: 5, timeoutMs: 6_000, readOnly: false))
        #expect(w.machine.lastZxid == 0x500, "the zxid seen is kept")
        let before = w.sent.count
        w.failed(); w.established()
        #expect(try ConnectRequest.decode(w.payloads(from: before)[0]).lastZxidSeen == 0x500,
                "after a good handshake, refusals start over")
    }

    @Test func anExpiredHandshakeFailsEverythingAndStartsANewSession() throws {
        var w = FakeWire()
        w.start(); w.handshake(session: 9)
        w.submit(1, watch: .data("/w"))
        w.receive(replyPacket(xid: 1, zxid: 3, body: []))
        #expect(!w.machine.watches.isEmpty)
        w.failed()
        w.submit(2)
        w.established()
        w.receive(ConnectResponse(timeOut: 0, sessionId: 0, passwd: []).encoded())
        #expect(w.states.suffix(2) == [.expired(sessionId: 9)] || w.states.contains(.expired(sessionId: 9)))
        #expect(w.completions[2] == .failure(.sessionExpired))
        #expect(w.machine.watches.isEmpty)
        #expect(w.machine.sessionId == 0)
        let before = w.sent.count
        w.established()
        #expect(try ConnectRequest.decode(w.payloads(from: before)[0]).sessionId == 0)
    }

    /// Attaching to another client's session: the first ConnectRequest names its id and
    /// password; once accepted the credentials are the machine's; an expired answer ends the
    /// machine instead of starting a session of its own.
    @Test func anAttachedSessionSendsItsCredentialsAndEndsWhenExpired() throws {
        let adopted = SessionCredentials(sessionId: 0x77AA, password: Array(repeating: 5, count: 16))
        var configuration = SessionMachine.Configuration(hosts: FakeWire.hosts, sessionTimeoutMs: 6_000)
        configuration.attach = adopted
        configuration.endsOnExpiry = true
        var w = FakeWire()
        w.machine = SessionMachine(configuration: configuration, shuffle: { $0 })
        w.start()
        w.established()
        let connect = try ConnectRequest.decode(w.payloads()[0])
        #expect(connect.sessionId == 0x77AA && connect.passwd == adopted.password)
        w.receive(ConnectResponse(timeOut: 6_000, sessionId: 0x77AA, passwd: adopted.password).encoded())
        #expect(w.states.last == .connected(sessionId: 0x77AA, timeoutMs: 6_000, readOnly: false))
        #expect(w.machine.credentials == adopted)
        w.failed()
        w.submit(1)
        w.established()
        #expect(try ConnectRequest.decode(w.payloads(from: 1)[0]).sessionId == 0x77AA, "re-attached after a drop")
        w.receive(ConnectResponse(timeOut: 0, sessionId: 0, passwd: []).encoded())
        #expect(w.states.suffix(2) == [.expired(sessionId: 0x77AA), .closed])
        #expect(w.completions[1] == .failure(.sessionExpired))
        #expect(w.machine.isTerminal)
        let connects = w.connects.count
        w.advance(ms: 5_000)
        #expect(w.connects.count == connects, "no new session is started")
    }

    /// With a reconnect pause, a connection that was up and drops fails what is on the wire at
    /// once, then nothing is attempted until the pause is over; then the next member, with
    /// the session's credentials. A connection that never came up is retried at once.
    @Test func aReconnectPauseHoldsTheNextAttemptBack() throws {
        var configuration = SessionMachine.Configuration(hosts: FakeWire.hosts, sessionTimeoutMs: 6_000)
        configuration.reconnectPauseNs = 500_000_000
        var w = FakeWire()
        w.machine = SessionMachine(configuration: configuration, shuffle: { $0 })
        w.start()
        w.failed()
        #expect(w.connects == [FakeWire.hosts[0], FakeWire.hosts[1]], "a failed attempt moves on at once")
        w.handshake(session: 0x61)
        w.submit(1)
        w.failed()
        #expect(w.completions[1] == .failure(.connectionLoss))
        #expect(w.states.last == .suspended)
        #expect(w.connects.count == 2)
        #expect(w.machine.nextDeadline() == w.now + 500_000_000)
        w.advance(ms: 499)
        #expect(w.connects.count == 2, "nothing during the pause")
        w.submit(2)
        w.advance(ms: 2)
        #expect(w.connects == [FakeWire.hosts[0], FakeWire.hosts[1], FakeWire.hosts[2]])
        let before = w.sent.count
        w.established()
        #expect(try ConnectRequest.decode(w.payloads(from: before)[0]).sessionId == 0x61)
        #expect(w.completions[2] == nil, "a request made during the pause waits for the connection")
    }

    /// Dropping the connection on request fails what is on the wire at once and tries the next
    /// member, keeping the session; without a connection it does nothing.
    @Test func abandoningTheConnectionFailsInFlightAndReconnects() throws {
        var w = FakeWire()
        w.start(); w.handshake(session: 0x51)
        w.submit(1)
        w.take(w.machine.abandonConnection(now: w.now))
        #expect(w.closes == 1)
        #expect(w.completions[1] == .failure(.connectionLoss))
        #expect(w.states.last == .suspended)
        #expect(w.connects == [FakeWire.hosts[0], FakeWire.hosts[1]])
        let before = w.sent.count
        w.established()
        #expect(try ConnectRequest.decode(w.payloads(from: before)[0]).sessionId == 0x51)
        var idle = FakeWire()
        idle.take(idle.machine.abandonConnection(now: idle.now))
        #expect(idle.closes == 0 && idle.connects.isEmpty)
    }

    /// Abandoning closes the connection without a closeSession, so the session lives on.
    @Test func abandonClosesTheConnectionWithoutEndingTheSession() {
        var w = FakeWire()
        w.start(); w.handshake(session: 0x42)
        w.submit(1)
        let sent = w.sent.count
        w.take(w.machine.abandon())
        #expect(w.sent.count == sent, "no closeSession")
        #expect(w.closes == 1)
        #expect(w.completions[1] == .failure(.closed))
        #expect(w.states.last == .closed)
        #expect(w.machine.isTerminal)
        w.take(w.machine.abandon())
        #expect(w.closes == 1)
    }

    @Test func watchesAreRestoredAfterTheHandshakeBeforeAnyRequest() throws {
        var w = FakeWire()
        w.start(); w.handshake(session: 3)
        w.submit(1, .getData, watch: .data("/d"))
        w.submit(2, .exists, watch: .data("/gone"))
        w.submit(3, .getChildren2, watch: .child("/c"))
        w.submit(4, .addWatch, watch: .persistentRecursive("/r"))
        w.receive(replyPacket(xid: 1, zxid: 7))
        w.receive(replyPacket(xid: 2, zxid: 7, err: .noNode))
        w.receive(replyPacket(xid: 3, zxid: 8))
        w.receive(replyPacket(xid: 4, zxid: 9))
        w.failed()
        w.submit(5)
        let before = w.sent.count
        w.handshake(session: 3)
        let after = w.payloads(from: before)
        #expect(after.count == 3, "ConnectRequest, SetWatches2, request 5")
        var r = JuteReader(after[1])
        let header = try RequestHeader(from: &r)
        #expect(header == RequestHeader(xid: Xid.setWatches, type: .setWatches2))
        let restore = try SetWatches2(from: &r)
        #expect(restore == SetWatches2(relativeZxid: 9, dataWatches: ["/d"], existWatches: ["/gone"],
                                       childWatches: ["/c"], persistentRecursiveWatches: ["/r"]))
        #expect(w.xid(w.sent.last!) == 5)
    }

    @Test func oneShotWatchesWithoutPersistentOnesUseSetWatchesInChunks() throws {
        var w = FakeWire(chunk: 22)
        w.start(); w.handshake()
        let paths = (0..<6).map { "/node-\($0)" }   // 7 bytes + 4 each: two per 22-byte chunk
        for (i, p) in paths.enumerated() { w.submit(UInt64(i + 1), watch: .data(p)) }
        for i in 0..<6 { w.receive(replyPacket(xid: Int32(i + 1), zxid: 4)) }
        w.failed()
        let before = w.sent.count
        w.handshake()
        let restores = w.payloads(from: before + 1)
        #expect(restores.count == 3)
        var restored: [String] = []
        for packet in restores {
            var r = JuteReader(packet)
            #expect(try RequestHeader(from: &r) == RequestHeader(xid: Xid.setWatches, type: .setWatches))
            restored += try SetWatches(from: &r).dataWatches
        }
        #expect(restored == paths)
    }

    @Test func firedOneShotWatchesAreNotRestored() {
        var w = FakeWire()
        w.start(); w.handshake()
        w.submit(1, watch: .data("/x"))
        w.receive(replyPacket(xid: 1, zxid: 2))
        w.receive(replyPacket(xid: Xid.notification, zxid: -1, body: WatcherEvent(type: .nodeDataChanged, state: .syncConnected, path: "/x").encoded()))
        #expect(w.machine.watches.isEmpty)
    }

    @Test func oversizedRequestsFailWithoutBeingSent() {
        var w = FakeWire()
        w.start(); w.handshake()
        let before = w.sent.count
        w.submit(1, .setData, body: [UInt8](repeating: 0, count: 0xfffff))
        #expect(w.completions[1] == .failure(.packetTooLarge(0xfffff + 8, limit: 0xfffff)))
        #expect(w.sent.count == before)
    }

    @Test func theInFlightCapHoldsRequestsBack() {
        var w = FakeWire(maxInFlight: 2)
        w.start(); w.handshake()
        for id in 1...5 { w.submit(UInt64(id)) }
        #expect(w.machine.inFlightCount == 2)
        w.receive(replyPacket(xid: 1, zxid: 1))
        #expect(w.machine.inFlightCount == 2)
        #expect(w.xid(w.sent.last!) == 3)
    }

    @Test func authIsSentAtOnceAndResentFirstOnReconnect() throws {
        var w = FakeWire()
        w.start(); w.handshake()
        let before = w.sent.count
        w.take(w.machine.addAuth(AuthPacket(scheme: "digest", auth: Array("u:p".utf8)), id: 50, now: w.now))
        #expect(w.xid(w.sent[before]) == Xid.auth)
        w.receive(replyPacket(xid: Xid.auth, zxid: 0))
        #expect(w.completions[50] == .success(.init(zxid: 0, body: [])))
        w.failed()
        let again = w.sent.count
        w.handshake()
        #expect(w.xid(w.sent[again + 1]) == Xid.auth, "credentials go first after the ConnectRequest")
        w.receive(replyPacket(xid: Xid.auth, zxid: 0))
        #expect(w.completions.count == 1, "the re-sent credentials' reply completes nobody")
    }

    @Test func aRefusedAuthEndsTheSession() {
        var w = FakeWire()
        w.start(); w.handshake()
        w.submit(1)
        w.take(w.machine.addAuth(AuthPacket(scheme: "digest", auth: Array("u:bad".utf8)), id: 50, now: w.now))
        w.receive(replyPacket(xid: Xid.auth, zxid: 0, err: .authFailed))
        #expect(w.completions[50] == .failure(.authFailed))
        #expect(w.completions[1] == .failure(.authFailed))
        #expect(w.states.last == .authFailed)
        #expect(w.machine.isTerminal)
        w.submit(2)
        #expect(w.completions[2] == .failure(.authFailed))
    }

    @Test func closeSendsCloseSessionAndAnswersInFlightFirst() {
        var w = FakeWire()
        w.start(); w.handshake()
        w.submit(1)
        w.take(w.machine.close(now: w.now))
        #expect(w.xid(w.sent.last!) == 2)
        w.submit(2)
        #expect(w.completions[2] == .failure(.closed))
        w.receive(replyPacket(xid: 1, zxid: 3))
        #expect(w.completions[1] == .success(.init(zxid: 3, body: [])))
        w.receive(replyPacket(xid: 2, zxid: 4))
        #expect(w.states.last == .closed)
        #expect(w.closes == 1)
    }

    @Test func everyMemberIsTriedThenThePassPauses() {
        var w = FakeWire()
        w.start()
        w.failed(); w.failed(); w.failed()
        #expect(w.connects == FakeWire.hosts)
        w.advance(ms: 999)
        #expect(w.connects.count == 3)
        w.advance(ms: 20)
        #expect(w.connects.count == 4 && w.connects.last == FakeWire.hosts[0])
    }

    @Test func xidsWrapToOne() {
        var w = FakeWire()
        w.start(); w.handshake()
        w.machine.xid = Int32.max - 1
        w.submit(1); w.submit(2)
        #expect(w.xid(w.sent[w.sent.count - 2]) == Int32.max)
        #expect(w.xid(w.sent.last!) == 1)
    }
}
