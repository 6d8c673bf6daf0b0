import Foundation
import TestSupport
import Testing

/// curl as an independent HTTP/1.1 implementation: if it is happy, real clients are too.
@Suite("End to end: curl as a client", .enabled(if: curlPath != nil, "needs curl"))
struct CurlClientTests {
    func curl(_ arguments: [String]) throws -> CommandResult {
        try runCommand(curlPath!, ["-sS", "--max-time", "10"] + arguments)
    }

    /// A scratch directory removed afterwards.
    func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zkgate-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(dir)
    }

    @Test func get() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let result = try curl(["-w", "\n%{http_code} %{content_type}", "http://127.0.0.1:\(server.port)/healthz"])
        #expect(result.status == 0, "curl: \(result.stderr)")
        #expect(result.stdoutText == healthzBody + "\n200 application/json")
    }

    @Test func head() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let result = try curl(["-I", "http://127.0.0.1:\(server.port)/healthz"])
        #expect(result.status == 0, "curl: \(result.stderr)")
        let lines = result.stdoutText.components(separatedBy: "\r\n")
        #expect(lines.first == "HTTP/1.1 200 OK")
        #expect(lines.contains("Content-Length: 15"))
        #expect(lines.contains("Content-Type: application/json"))
        #expect(lines.contains { $0.hasPrefix("Date: ") })
        #expect(result.stdoutText.hasSuffix("\r\n\r\n"), "nothing after the head")
    }

    /// 200 KB of random bytes, by Content-Length and then chunked, echoed byte for byte.
    @Test(arguments: [false, true])
    func uploadEchoedByteForByte(chunked: Bool) throws {
        let server = try ZKGateProcess(["--debug-routes"])
        defer { server.stop() }
        try withTemporaryDirectory { dir in
            var generator = SystemRandomNumberGenerator()
            let body = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let input = dir.appendingPathComponent("body.bin")
            let output = dir.appendingPathComponent("echo.bin")
            try Data(body).write(to: input)
            var arguments = ["--data-binary", "@\(input.path)", "-H", "Content-Type: application/octet-stream",
                             "-o", output.path, "-w", "%{http_code}"]
            if chunked { arguments += ["-H", "Transfer-Encoding: chunked"] }
            let result = try curl(arguments + ["http://127.0.0.1:\(server.port)/debug/echo"])
            #expect(result.status == 0, "curl: \(result.stderr)")
            #expect(result.stdoutText == "200")
            let echoed = try [UInt8](Data(contentsOf: output))
            #expect(echoed.count == body.count)
            #expect(echoed == body, "the echo differs from the upload")
        }
    }

    @Test func http10() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let result = try curl(["--http1.0", "-i", "http://127.0.0.1:\(server.port)/healthz"])
        #expect(result.status == 0, "curl: \(result.stderr)")
        let text = result.stdoutText
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("\r\nConnection: close\r\n"))
        #expect(text.hasSuffix("\r\n\r\n" + healthzBody))
    }

    /// curl reuses one connection for several URLs on the same host.
    @Test func reusesTheConnection() throws {
        let server = try ZKGateProcess()
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)"
        let result = try curl([url + "/healthz", url + "/readyz", url + "/healthz"])
        #expect(result.status == 0, "curl: \(result.stderr)")
        #expect(result.stdoutText == healthzBody + #"{"status":"ready"}"# + healthzBody)
        let metrics = try server.connect().metrics()
        #expect(metrics["zkgate_http_connections_accepted_total"] == 2, "curl's one connection plus ours")
    }
}
