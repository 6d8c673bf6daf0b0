// Counts the heap allocations the event loop's thread makes on the gateway's hot paths, for
// AllocationBudgetTests. A process of its own: CAllocationCounter replaces malloc for the
// whole process it is linked into.
//
// Requests run through `RequestRecorder` on a real loop, as a connection calls them, over the
// embedded store. Counting is on only on the loop's thread and only while the measured work
// runs there. Each figure is the difference between a run with 1,000 requests and one with
// 100, divided by 900, so costs paid once per run cancel. Prints one line per figure:
//
//   configuration debug|release
//   cached-get allocations-per-request N
//   healthz allocations-per-request N
//   wake-long-polls allocations-per-waiter N

import CAllocationCounter
import Coordination
import EmbeddedBackend
import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import Logging
import Reactor

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

#if DEBUG
print("configuration debug")
#else
print("configuration release")
#endif

// The counter sees allocations made from Swift's runtime (a shared library), or every figure
// would be a meaningless zero.
allocation_counter_start()
let sample = [UInt8](repeating: 1, count: 64 + Int(getpid() % 3))
let sampleAllocations = allocation_counter_stop()
guard sampleAllocations >= 1, sample.count >= 64 else { fail("the allocation counter counts nothing") }

let group = try EventLoopGroup(count: 1, name: "allocation-probe")
let loop = group.loops[0]
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zkgate-allocations-\(getpid())").path
let store = try EmbeddedStore(
    configuration: .init(dataDirectory: folder), logger: Logger(label: "allocation-probe", factory: { _ in SwiftLogNoOpLogHandler() }))
let gateway = Gateway(backend: store, options: Gateway.Options(), stats: HTTPServerStats())
let router = gateway.router()
// Short enough to be a small (inline) string: a path of 16 bytes or more adds the path's own
// strings to every request.
let path = try ZNodePath(validating: "/alloc")
_ = try await store.commit([.create(path: path, data: Array("v0".utf8), mode: .persistent)], session: nil)

/// Runs `body` on the loop's thread and returns what it returns.
func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { done in loop.execute { done.resume(returning: body()) } }
}

/// Each connection's one answer, checked.
func expectAnswered(_ connections: [RequestRecorder], status: Int, _ what: String) {
    for connection in connections {
        guard connection.count == 1, case .response(let response) = connection.events[0], response.status.code == status else {
            fail("\(what): expected one \(status) answer per connection, got \(connection.events)")
        }
    }
}

/// Allocations on the loop's thread while it handles `count` requests for `target`, each on a
/// connection of its own, in one job (nothing else runs on the loop meanwhile).
func allocationsAnswering(_ target: String, count: Int) async -> Int {
    let head = HTTPRequestHead(method: .get, target: target)
    let connections = (0..<count).map { _ in RequestRecorder(loop: loop) }
    let allocations = await onLoop {
        allocation_counter_start()
        // By index: a for-in over the array allocates an iterator frame per element in debug.
        var i = 0
        while i < connections.count {
            connections[i].handleNow(head, router: router)
            i += 1
        }
        return allocation_counter_stop()
    }
    expectAnswered(connections, status: 200, target)
    return allocations
}

/// Allocations on the loop's thread while it applies one write's change batch and answers the
/// `count` long-polls parked on the node.
func allocationsWaking(count: Int) async throws -> Int {
    guard let index = store.readNow(path, children: false)?.changeIndex else { fail("\(path.string) is missing") }
    let head = HTTPRequestHead(method: .get, target: "/v1/nodes\(path.string)?index=\(index)&wait=30s")
    let connections = (0..<count).map { _ in RequestRecorder(loop: loop) }
    for connection in connections { connection.send(head, to: router) }
    // The inbox runs in order: this job runs after every request's.
    guard await onLoop({ connections.allSatisfy(\.isParked) }) else { fail("the long-polls did not park") }
    // Counting starts as the last thing the loop does before it goes idle; the write's change
    // batch is the next job it runs, and the job that stops counting is queued after it (the
    // store queues a write's batch for every loop before the write returns).
    await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
        loop.execute {
            started.resume()
            allocation_counter_start()
        }
    }
    _ = try await store.commit([.setData(path: path, data: Array("v\(index)".utf8), version: -1)], session: nil)
    let allocations = await onLoop { allocation_counter_stop() }
    expectAnswered(connections, status: 200, "a woken long-poll")
    return allocations
}

/// Per request: (allocations for 1,000) − (allocations for 100), over 900; the least of three
/// tries of each, after a warm-up that fills the loop's cache and grows its tables and pools.
func perRequest(_ name: String, _ unit: String, _ measure: (Int) async throws -> Int) async throws {
    _ = try await measure(1000)
    var few = Int.max
    var many = Int.max
    for _ in 0..<3 {
        few = min(few, try await measure(100))
        many = min(many, try await measure(1000))
    }
    let each = Double(many - few) / 900
    print("\(name) allocations-per-\(unit) \(String(format: "%.2f", each)) (100: \(few), 1000: \(many))")
}

try await perRequest("cached-get", "request") { await allocationsAnswering("/v1/nodes\(path.string)", count: $0) }
try await perRequest("healthz", "request") { await allocationsAnswering("/healthz", count: $0) }
try await perRequest("wake-long-polls", "waiter") { try await allocationsWaking(count: $0) }

store.shutdown()
group.stop()
try? FileManager.default.removeItem(atPath: folder)
