import Foundation
import Testing

/// Heap allocations on the event loop's thread for the hot paths whose comments promise few or
/// none, counted by AllocationProbe (Tests/AllocationProbe) in a process of its own, so the
/// counting allocator never runs inside the test bundle.
///
/// The budgets are ceilings against regressions, set to what was measured (not goals): a change
/// that adds an allocation per request fails here, and one that removes some should lower the
/// budget. Debug and release differ (unspecialized generics and closures allocate in debug), so
/// each has its own; the probe says which configuration it was built in. To measure:
///
///     swift build --build-tests && .build/debug/AllocationProbe
///     swift build -c release --product AllocationProbe && .build/release/AllocationProbe
@Suite struct AllocationBudgetTests {
    struct Budget: CustomTestStringConvertible, Sendable {
        /// The probe's name of the figure.
        let figure: String
        let debug: Double
        let release: Double
        var testDescription: String { figure }
    }

    // Measured with `/alloc` as the node (Tests/AllocationProbe), in debug and release.
    static let budgets: [Budget] = [
        // GET /v1/nodes/<path> answered from the loop's cache with the prepared response.
        // Release: 1, the route's path-parameter array (`params + [(tail.name, decoded)]`,
        // Sources/HTTPServer/Router.swift:182); no comment promises zero here. A path of 16 bytes
        // or more measured 4: its decoded tail and `"/" + tail` no longer fit in a small string.
        // Debug: 43, mostly unspecialized generic code (HTTPRequestHead.query's byte scan, the
        // router's loops).
        Budget(figure: "cached-get", debug: 43, release: 1),
        // GET /healthz: a literal route and a constant answer. Release: 0, so Router's "a literal
        // path is one hash lookup with no allocation" holds. Debug: 20, unspecialized generic
        // code (HTTPRequestHead's path and query scans, the router's table loop).
        Budget(figure: "healthz", debug: 20, release: 0),
        // One write wakes K parked `?index=N&wait=30s` long-polls on the loop: applying the
        // change batch and answering the waiters, per waiter. Release: 0, so ParkingLot's
        // "waking allocates nothing per request beyond its answer" and DeferredResponse.respond's
        // "allocates nothing" on the loop's thread hold (the answer is rendered once per write,
        // 7 allocations, and shared). Debug: 2, both from unoptimized code: the generic
        // `for waiter in list` in ParkingLot.wake and the `token` modify accessor reached
        // through the ParkableRequest protocol in unpark().
        Budget(figure: "wake-long-polls", debug: 2, release: 0),
    ]

    @Test(arguments: budgets)
    func allocationsStayWithinBudget(_ budget: Budget) throws {
        let probe = try #require(try Self.run.get(), "AllocationProbe printed nothing")
        let measured = try #require(probe.figures[budget.figure], "AllocationProbe did not measure \(budget.figure)")
        let limit = probe.release ? budget.release : budget.debug
        #expect(
            measured <= limit,
            "\(budget.figure): \(measured) allocations each, budget \(limit) (\(probe.release ? "release" : "debug"))")
    }

    /// What the probe printed: its build configuration and a figure per scenario.
    struct ProbeOutput: Sendable {
        var release = false
        var figures: [String: Double] = [:]
    }

    /// One probe run, shared by the tests.
    static let run = Result { try runProbe() }

    static func runProbe() throws -> ProbeOutput? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try probePath())
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProbeFailed(description: "AllocationProbe exited with \(process.terminationStatus): \(problems)")
        }
        // `configuration debug|release`, then `<figure> allocations-per-<unit> <number> (details)`.
        var probe = ProbeOutput()
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 3 else { continue }
            if words[0] == "configuration" {
                probe.release = words[1] == "release"
            } else if words[1].hasPrefix("allocations-per-"), let value = Double(words[2]) {
                probe.figures[String(words[0])] = value
            }
        }
        return probe.figures.isEmpty ? nil : probe
    }

    /// The AllocationProbe built next to the test bundle, or $ALLOCATION_PROBE.
    static func probePath() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["ALLOCATION_PROBE"] { candidates.append(explicit) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((exe as NSString).deletingLastPathComponent + "/AllocationProbe")
        }
        candidates.append((Bundle.main.bundlePath as NSString).deletingLastPathComponent + "/AllocationProbe")
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ProbeFailed(
                description: "AllocationProbe not found; build with `swift build --build-tests` or set ALLOCATION_PROBE. Tried: "
                    + candidates.joined(separator: ", "))
        }
        return found
    }

    struct ProbeFailed: Error, CustomStringConvertible {
        let description: String
    }
}
