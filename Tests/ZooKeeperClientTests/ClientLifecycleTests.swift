import Foundation
import Reactor
import Synchronization
import SystemCalls
import TestSupport
import Testing
@testable import ZooKeeperClient
#if canImport(Glibc)
import Glibc
#endif

/// A client's end, without an ensemble: nothing listens on 127.0.0.1:1, so it never connects.
@Suite(.timeLimit(.minutes(1)))
struct ClientLifecycleTests {
    /// Whether `check` holds on the client's loop, asked from this thread.
    static func onLoop(_ client: ZooKeeperClient, _ check: @escaping @Sendable (ClientDriver) -> Bool) -> Bool {
        let answer = Mutex(false)
        let done = DispatchSemaphore(value: 0)
        let driver = client.driver
        client.loop.execute {
            answer.withLock { $0 = check(driver) }
            done.signal()
        }
        return done.wait(timeout: .now() + 5) == .success && answer.withLock { $0 }
    }

    @Test func closingAnswersConnectWaitersAndLetsGoOfTheDriver() async throws {
        var client: ZooKeeperClient? = try ZooKeeperClient(configuration: .init("127.0.0.1:1", sessionTimeoutMs: 4_000))
        weak let driver = client!.driver
        let waiting = Task { [client] () -> ZooKeeperError? in
            do throws(ZooKeeperError) {
                try await client!.waitUntilConnected(timeoutMs: 600_000)
                return nil
            } catch {
                return error
            }
        }
        var registered = false
        for _ in 0..<500 where !registered {
            registered = Self.onLoop(client!) { $0.connectWaiters.count == 1 }
            if !registered { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(registered, "the waiter is parked on the loop")
        await client!.close()
        #expect(await waiting.value == .closed, "answered at close, not at its 600 s deadline")
        client = nil
        // The waiter's deadline timer held the driver until it fired; it is cancelled now.
        for _ in 0..<500 where driver != nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(driver == nil, "nothing holds the driver once the client is gone")
    }

    @Test func aRefusedConnectIsReportedAsTheLastFailure() async throws {
        let client = try ZooKeeperClient(configuration: .init("127.0.0.1:1", sessionTimeoutMs: 4_000))
        #expect(await eventually(timeout: 10) { client.lastConnectFailure != nil })
        let failure = try #require(client.lastConnectFailure)
        #expect(failure.hasPrefix("127.0.0.1:1: connect: ") && failure.contains("errno \(ECONNREFUSED)"), "\(failure)")
        await #expect(throws: ZooKeeperError.connectionLoss) { try await client.waitUntilConnected(timeoutMs: 200) }
        await client.close()
    }
}

/// Members named by host names: the lookup runs off the loop, counts against the attempt's
/// connect timeout, and every address it gives is tried in order.
@Suite(.timeLimit(.minutes(1)))
struct ClientLookupTests {
    /// A name server that answers only when the test says so, and notes when it was asked.
    final class NameServer: Sendable {
        let pending = Mutex<[(host: HostAddress, at: ContinuousClock.Instant, answer: @Sendable (HostResolver.Outcome) -> Void)]>([])
        var lookups: Int { pending.withLock { $0.count } }
        func resolve(_ host: HostAddress, _ answer: @escaping @Sendable (HostResolver.Outcome) -> Void) {
            pending.withLock { $0.append((host, .now, answer)) }
        }
        func lookup(_ index: Int) -> (host: HostAddress, at: ContinuousClock.Instant) {
            pending.withLock { ($0[index].host, $0[index].at) }
        }
        func answer(_ index: Int, _ outcome: HostResolver.Outcome) {
            pending.withLock { $0[index] }.answer(outcome)
        }
    }

    @Test func aHungLookupStallsNeitherTheLoopNorTheNextAttempt() async throws {
        let names = NameServer()
        // Two members, an 8 s session timeout: each attempt gets 4 s.
        let client = try ZooKeeperClient(
            configuration: .init("a.hung.test:2181,b.hung.test:2181", sessionTimeoutMs: 8_000), loop: nil,
            resolve: names.resolve)
        // At least one: on a loaded machine the test may only look after the first attempt
        // has already timed out.
        #expect(await eventually(timeout: 20) { names.lookups >= 1 })
        // The first lookup never answers, yet the loop runs other jobs.
        #expect(ClientLifecycleTests.onLoop(client) { $0.fd < 0 })

        // The attempt times out with its lookup unanswered, and the next member is looked up.
        #expect(await eventually(timeout: 20) { names.lookups >= 2 })
        let (first, second) = (names.lookup(0), names.lookup(1))
        #expect(first.host != second.host)
        #expect(second.at - first.at >= .seconds(4), "not before the attempt's connect timeout")
        #expect(client.lastConnectFailure?.hasSuffix(": the name lookup did not answer in time") == true,
            "\(client.lastConnectFailure ?? "none")")

        // The first lookup answers late: its attempt is over, so nothing connects.
        let (listener, address) = try Socket.listen(on: SocketAddress(parsing: "127.0.0.1:0"))
        defer { close(listener) }
        names.answer(0, .success([address]))
        try await Task.sleep(for: .milliseconds(100))
        #expect(ClientLifecycleTests.onLoop(client) { $0.fd < 0 })
        var peer = sockaddr_storage()
        let early = try Socket.accept(listener, peer: &peer)
        if case .done(let fd) = early { close(fd) }
        #expect({ if case .wouldBlock = early { true } else { false } }(), "no connection from the stale answer")

        // The current lookup answers with a refusing address first: the next address is tried,
        // and the member gets the ConnectRequest (a 4-byte length, then protocol version 0). On
        // a slow machine the current attempt may time out before its answer lands and a new
        // lookup begin: each lookup after the first is answered so, once, until one connects.
        let refusing = try SocketAddress(parsing: "127.0.0.1:1")
        var answered = 1
        var accepted: Int32?
        let until = ContinuousClock.now + .seconds(20)
        while accepted == nil && ContinuousClock.now < until {
            while answered < names.lookups {
                names.answer(answered, .success([refusing, address]))
                answered += 1
            }
            var peer = sockaddr_storage()
            if case .done(let fd) = try Socket.accept(listener, peer: &peer) { accepted = fd } else {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let connection = try #require(accepted, "no connection after answering \(answered - 1) lookups")
        defer { close(connection) }
        let head = try await Self.read(8, from: connection)
        #expect(head.count == 8 && head[4..<8] == [0, 0, 0, 0])
        await client.close()
    }

    @Test func aFailedLookupMovesToTheNextMember() async throws {
        let names = NameServer()
        let client = try ZooKeeperClient(
            configuration: .init("a.test:2181,b.test:2181", sessionTimeoutMs: 10_000), loop: nil, resolve: names.resolve)
        #expect(await eventually(timeout: 5) { names.lookups >= 1 })
        let first = names.pending.withLock { $0[0].host.host }
        names.answer(0, .failure(SystemError(code: ENOENT, call: "getaddrinfo(\(first))")))
        // At once, not after the 5 s connect timeout.
        #expect(await eventually(timeout: 2) { names.lookups >= 2 })
        #expect(names.pending.withLock { $0[1].host.host } != first)
        // A loaded machine may have let the attempt time out before the answer came: then the
        // next lookup followed the timeout, and the message is the timeout's.
        if names.lookup(1).at - names.lookup(0).at < .seconds(4) {
            #expect(client.lastConnectFailure == "\(first):2181: getaddrinfo(\(first))", "the resolver's message, for the operator")
        }
        await client.close()
    }

    @Test func theSystemResolverFindsLocalhost() async throws {
        let outcome = Mutex<HostResolver.Outcome?>(nil)
        HostResolver.lookUp(host: "localhost", port: 2181) { result in outcome.withLock { $0 = result } }
        #expect(await eventually(timeout: 10) { outcome.withLock { $0 != nil } })
        let addresses = try #require(try outcome.withLock { $0 }?.get())
        #expect(addresses.contains { $0.port == 2181 && ($0.host == "127.0.0.1" || $0.host == "::1") })
        let missing = Mutex<HostResolver.Outcome?>(nil)
        HostResolver.lookUp(host: "no-such-host.invalid", port: 1) { result in missing.withLock { $0 = result } }
        #expect(await eventually(timeout: 30) { missing.withLock { $0 != nil } })
        #expect(throws: SystemError.self) { try missing.withLock { $0 }?.get() }
    }

    /// Up to `count` bytes from a non-blocking socket, within 5 s.
    static func read(_ count: Int, from fd: Int32) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<500 where bytes.count < count {
            var chunk = [UInt8](repeating: 0, count: count - bytes.count)
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n > 0 { bytes += chunk[0..<n] } else if n == 0 { break } else { try await Task.sleep(for: .milliseconds(10)) }
        }
        return bytes
    }
}
