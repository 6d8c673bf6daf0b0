import Foundation
import Synchronization
import Testing
@testable import ZooKeeperClient

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
}
