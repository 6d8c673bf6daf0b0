/// zk-bench: the native ZooKeeper client on its own, pipelined. It measures create, setData
/// and getData per second on a real ensemble, with no HTTP in the way.
///
/// Why: zkgate's ZooKeeper backend is judged against this rate. Its HTTP path should reach at
/// least 0.8× these ops/s at the same concurrency. So the workload is plain and easy to
/// replay through HTTP. Every node is `<base>/n<i>` under one fresh base node. Every value is
/// VALUE_SIZE bytes of ASCII 'x'. Exactly CONCURRENCY requests are outstanding at all times:
/// a closed loop of CONCURRENCY workers, each sending its next request when its reply comes.
///
/// Phases, each timed on its own:
///   create  persistent nodes <base>/n0, n1, ... (as many as the phase allows)
///   set     setData (version -1) of the same VALUE_SIZE value, nodes taken round robin
///   get     getData, nodes taken round robin
///   delete  cleanup: every node, pipelined at the same concurrency, then the base. Its rate
///           is printed too, but it is not part of the reference. After a lost connection
///           the cleanup waits for the session to reconnect and runs again.
/// A request's latency runs from the call to its reply, on the monotonic clock
/// (clock_gettime(CLOCK_MONOTONIC)). Any error stops the run (exit status 1) after the cleanup.
///
/// Usage: zk-bench [options]
///   --connect STRING    connect string [127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183]
///   --concurrency N     outstanding requests [16]
///   --connections N     clients (sessions) the workers are spread over, round robin [1]
///   --duration SECONDS  length of each phase [5]
///   --ops N             or: this many requests per phase (create makes N nodes)
///   --value-size BYTES  size of each node's value [64]
///   --base PATH         parent of the nodes; it must not exist [/zk-bench-<pid>]
///   --tls-ca FILE       TLS to the members' secure client ports, verified against FILE (PEM)
///   --tls-cert FILE, --tls-key FILE   a client certificate to present
///   --reconnects N      instead of the phases: N times, drop the connection and time until
///                       a getData on the same session is answered through the next member
///                       (connect, TLS handshake when on, session re-attach, the read)
///
/// Output: a header, then one line per phase:
///   result PHASE OPS SECONDS OPS_PER_S P50_MS P99_MS CPU_PCT
/// CPU_PCT is this process's CPU time over the phase's wall time (100 = one core).
/// bench/zk-client.sh parses these lines. Its kazoo cross-check prints the same ones.
import Foundation
import Synchronization
import TLS
import ZooKeeperClient

#if canImport(Glibc)
import Glibc
#endif

// MARK: - options

struct Options {
    var connect = "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183"
    var concurrency = 16
    var connections = 1
    var durationSeconds = 5.0
    var ops: Int? = nil
    var valueSize = 64
    var base = "/zk-bench-\(getpid())"
    var tlsCA: String?
    var tlsCert: String?
    var tlsKey: String?
    var reconnects: Int?

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { fail("\(args[i - 1]) needs a value") }
            return args[i]
        }
        func positive(_ s: String) -> Int {
            guard let n = Int(s), n > 0 else { fail("expected a positive integer, got '\(s)'") }
            return n
        }
        while i < args.count {
            switch args[i] {
            case "--connect": o.connect = value()
            case "--concurrency": o.concurrency = positive(value())
            case "--connections": o.connections = positive(value())
            case "--duration":
                let s = value()
                guard let d = Double(s), d > 0 else { fail("--duration: expected seconds, got '\(s)'") }
                o.durationSeconds = d
            case "--ops": o.ops = positive(value())
            case "--value-size":
                let s = value()
                guard let n = Int(s), n >= 0 else { fail("--value-size: expected bytes, got '\(s)'") }
                o.valueSize = n
            case "--base": o.base = value()
            case "--tls-ca": o.tlsCA = value()
            case "--tls-cert": o.tlsCert = value()
            case "--tls-key": o.tlsKey = value()
            case "--reconnects": o.reconnects = positive(value())
            case "-h", "--help":
                say("usage: zk-bench [--connect S] [--concurrency N] [--connections N] "
                    + "[--duration SECONDS | --ops N] [--value-size BYTES] [--base PATH] "
                    + "[--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--reconnects N]")
                exit(0)
            default: fail("unknown argument '\(args[i])' (try --help)")
            }
            i += 1
        }
        return o
    }
}

/// Prints a line unbuffered, so that a file being written shows each line at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("zk-bench: error: \(message)\n".utf8))
    exit(1)
}

// MARK: - measurement

/// Monotonic nanoseconds.
@inline(__always) func nanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time this process has used (user + system, every thread), in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

/// What a phase's workers share: the next request number and whether one of them failed.
final class PhaseState: Sendable {
    private let counter = Atomic<Int>(0)
    private let failure = Atomic<Bool>(false)
    func next() -> Int { counter.wrappingAdd(1, ordering: .relaxed).oldValue }
    var failed: Bool { failure.load(ordering: .relaxed) }
    func fail() { failure.store(true, ordering: .relaxed) }
}

enum Limit: Sendable {
    case duration(UInt64)  // nanoseconds
    case ops(Int)
}

struct PhaseResult {
    var ops: Int
    var seconds: Double
    /// The client process's CPU time over the phase.
    var cpuSeconds: Double
    var sortedNanos: [UInt64]
    var firstError: ZooKeeperError?

    var opsPerSecond: Double { seconds > 0 ? Double(ops) / seconds : 0 }

    /// The nearest-rank percentile, in milliseconds.
    func percentileMs(_ p: Double) -> Double {
        guard !sortedNanos.isEmpty else { return .nan }
        let rank = max(1, Int((p / 100 * Double(sortedNanos.count)).rounded(.up)))
        return Double(sortedNanos[min(rank, sortedNanos.count) - 1]) / 1e6
    }
}

typealias Operation = @Sendable (ZooKeeperClient, Int) async throws(ZooKeeperError) -> Void

/// Runs `op(client, i)` for i = 0, 1, 2, ... from `concurrency` workers at once until the limit,
/// each worker waiting for its reply before its next request. Stops at the first error.
func runPhase(clients: [ZooKeeperClient], concurrency: Int, limit: Limit, _ op: @escaping Operation) async -> PhaseResult {
    struct Worker: Sendable { var nanos: [UInt64]; var error: ZooKeeperError? }
    let state = PhaseState()
    let start = nanos()
    let cpuStart = cpuSeconds()
    let deadline: UInt64 = if case .duration(let d) = limit { start + d } else { .max }
    let opsLimit: Int = if case .ops(let n) = limit { n } else { .max }

    let workers = await withTaskGroup(of: Worker.self) { group in
        for w in 0..<concurrency {
            let client = clients[w % clients.count]
            group.addTask {
                var samples: [UInt64] = []
                samples.reserveCapacity(4096)
                while !state.failed && nanos() < deadline {
                    let i = state.next()
                    if i >= opsLimit { break }
                    let t0 = nanos()
                    do throws(ZooKeeperError) {
                        try await op(client, i)
                    } catch {
                        state.fail()
                        return Worker(nanos: samples, error: error)
                    }
                    samples.append(nanos() - t0)
                }
                return Worker(nanos: samples, error: nil)
            }
        }
        var all: [Worker] = []
        for await worker in group { all.append(worker) }
        return all
    }
    let seconds = Double(nanos() - start) / 1e9
    let cpu = cpuSeconds() - cpuStart
    let samples = workers.flatMap { $0.nanos }.sorted()
    return PhaseResult(ops: samples.count, seconds: seconds, cpuSeconds: cpu, sortedNanos: samples,
                       firstError: workers.lazy.compactMap { $0.error }.first)
}

func report(_ phase: String, _ r: PhaseResult) {
    let name = phase.padding(toLength: 6, withPad: " ", startingAt: 0)
    say("result \(name) " + String(format: "%9d %7.3f %9.0f %8.3f %8.3f %6.0f", r.ops, r.seconds, r.opsPerSecond,
                                               r.percentileMs(50), r.percentileMs(99), 100 * r.cpuSeconds / r.seconds))
    if let error = r.firstError { say("error  \(phase): \(error)") }
}

// MARK: - main

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let limit: Limit = options.ops.map { .ops($0) } ?? .duration(UInt64(options.durationSeconds * 1e9))

var configuration: ZooKeeperClient.Configuration
do {
    configuration = try .init(options.connect, sessionTimeoutMs: 10_000)
} catch {
    fail("bad connect string '\(options.connect)': \(error)")
}
if let ca = options.tlsCA {
    do {
        configuration.tls = try TLSClientContext(TLSClientConfiguration(
            caPath: ca, certificateChainPath: options.tlsCert, privateKeyPath: options.tlsKey))
    } catch {
        fail("\(error)")
    }
}
var clients: [ZooKeeperClient] = []
for _ in 0..<options.connections {
    do {
        let client = try ZooKeeperClient(configuration: configuration)
        try await client.waitUntilConnected(timeoutMs: 20_000)
        clients.append(client)
    } catch {
        fail("cannot connect to \(options.connect): \(error)")
    }
}
do {
    _ = try await clients[0].create(options.base, data: [])
} catch {
    fail("cannot create the base node \(options.base): \(error)")
}
// Read after a reply: right after waitUntilConnected the member may not be published yet.
let connectedTo = clients.map { $0.connectedHost.map { "\($0)" } ?? "?" }.joined(separator: " ")

let base = options.base
let value = [UInt8](repeating: UInt8(ascii: "x"), count: options.valueSize)
say("zk-bench: client ZooKeeperClient, concurrency \(options.concurrency), connections \(options.connections) "
    + "(to \(connectedTo)), value \(options.valueSize) B, "
    + (options.ops.map { "\($0) ops per phase" } ?? "\(options.durationSeconds) s per phase") + ", base \(base)")
say("#      phase       ops seconds     ops/s   p50 ms   p99 ms   cpu%")

if let count = options.reconnects {
    // The next request waits for the new connection: its answer marks the session back.
    let client = clients[0]
    var samples: [UInt64] = []
    let start = nanos()
    let cpuStart = cpuSeconds()
    var firstError: ZooKeeperError?
    for _ in 0..<count {
        let t0 = nanos()
        client.dropConnection()
        do throws(ZooKeeperError) {
            _ = try await client.getData(base)
        } catch {
            firstError = error
            break
        }
        samples.append(nanos() - t0)
    }
    let result = PhaseResult(ops: samples.count, seconds: Double(nanos() - start) / 1e9, cpuSeconds: cpuSeconds() - cpuStart,
                             sortedNanos: samples.sorted(), firstError: firstError)
    report("reconnect", result)
    try? await client.delete(base)
    for client in clients { await client.close() }
    exit(firstError == nil ? 0 : 1)
}

var failedPhase = false
let created = await runPhase(clients: clients, concurrency: options.concurrency, limit: limit) { client, i throws(ZooKeeperError) in
    _ = try await client.create("\(base)/n\(i)", data: value)
}
report("create", created)
failedPhase = created.firstError != nil

// Node names made once, so that set and get time only the requests.
let paths = (0..<created.ops).map { "\(base)/n\($0)" }
if !failedPhase && !paths.isEmpty {
    let set = await runPhase(clients: clients, concurrency: options.concurrency, limit: limit) { client, i throws(ZooKeeperError) in
        _ = try await client.setData(paths[i % paths.count], data: value)
    }
    report("set", set)
    failedPhase = set.firstError != nil
}
if !failedPhase && !paths.isEmpty {
    let get = await runPhase(clients: clients, concurrency: options.concurrency, limit: limit) { client, i throws(ZooKeeperError) in
        let (data, _, _) = try await client.getData(paths[i % paths.count])
        guard data.count == value.count else { throw .protocolError("getData returned \(data.count) bytes, not \(value.count)") }
    }
    report("get", get)
    failedPhase = get.firstError != nil
}

// Cleanup: after a failed create, a node past `created.ops` may exist (its reply was lost), so
// a few names beyond are tried too; a missing node is fine. A connection lost on the way (a
// member restarted under the run) is waited out and the cleanup tried again, twice at most.
let toDelete = created.ops + (created.firstError == nil ? 0 : options.concurrency)
var cleanedUp = false
for attempt in 1...3 {
    let deleted = await runPhase(clients: clients, concurrency: options.concurrency, limit: .ops(toDelete)) { client, i throws(ZooKeeperError) in
        do throws(ZooKeeperError) {
            try await client.delete("\(base)/n\(i)")
        } catch {
            if error != .server(.noNode) { throw error }
        }
    }
    if attempt == 1 { report("delete", deleted) }
    do throws(ZooKeeperError) {
        if let error = deleted.firstError { throw error }
        try await clients[0].delete(base)
        cleanedUp = true
        if attempt > 1 { say("cleanup of \(base): done on attempt \(attempt)") }
        break
    } catch {
        say("error  cleanup of \(base), attempt \(attempt): \(error)")
        guard error.isRetryable else { break }
        for client in clients { try? await client.waitUntilConnected(timeoutMs: 30_000) }
    }
}
for client in clients { await client.close() }
exit(failedPhase || !cleanedUp ? 1 : 0)
