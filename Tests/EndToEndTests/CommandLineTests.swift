import TestSupport
import Testing

/// Start-up: flags are validated before anything binds, and an address that cannot be had
/// stops the process with a clear message.
@Suite("End to end: command line and start-up")
struct CommandLineTests {
    func zkgate(_ arguments: [String], timeout: Double = 5) throws -> CommandResult {
        try runCommand(try ZKGateProcess.binaryPath(), arguments, timeout: timeout)
    }

    @Test(arguments: [
        (["--threads", "0"], "--threads must be from 1 to 256."),
        (["--max-request-line", "10"], "--max-request-line must be from 64 to 1048576."),
        (["--max-header-bytes", "100"], "--max-header-bytes must be from 256 to 1048576."),
        (["--max-body", "2000000000"], "--max-body must be from 0 to 1073741824."),
        (["--idle-timeout", "0"], "--idle-timeout must be a number of seconds above 0 and at most 86400."),
        (["--listen", "nonsense"], "--listen:"),
        (["--log-level", "loud"], "--log-level 'loud' is not a level."),
        (["--bogus"], "Unknown option '--bogus'"),
    ])
    func invalidFlagsExit64(arguments: [String], message: String) throws {
        let result = try zkgate(arguments)
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("listening"))
    }

    @Test func version() throws {
        let result = try zkgate(["--version"])
        #expect(result.status == 0)
        #expect(result.stdoutText == "0.1.0\n")
    }

    @Test func portHeldByAnotherProgramExits1() throws {
        let holder = try PlainListener()
        let data = try TemporaryDirectory(prefix: "zkgate-cli")
        defer { data.remove() }
        let result = try zkgate(["--listen", "127.0.0.1:\(holder.port)", "--data-dir", data.path])
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("cannot start"))
        #expect(result.stderr.contains("Address already in use"))
    }

    /// A member that cannot be reached: start-up gives up after twice the session timeout and
    /// says why the last attempt failed, here the name lookup (its own message, or its timeout
    /// where the machine has no name server at all).
    @Test func anUnresolvableZooKeeperMemberExits1WithTheReason() throws {
        let result = try zkgate(["--listen", "127.0.0.1:0", "--zookeeper", "no-such-host.invalid:2181",
                                 "--zookeeper-session-timeout", "2000"], timeout: 30)
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("cannot reach ZooKeeper"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("no member reached (last attempt: no-such-host.invalid:2181: "),
                "stderr: \(result.stderr)")
    }

    /// SO_REUSEPORT lets the loops of one process share a port; it also lets a second zkgate
    /// run by the same user bind it, and the kernel then splits connections between the two.
    @Test
    func secondInstanceOnTheSamePortExits1() throws {
        let first = try ZKGateProcess()
        defer { first.stop() }
        let data = try TemporaryDirectory(prefix: "zkgate-cli")
        defer { data.remove() }
        let result = try zkgate(["--listen", "127.0.0.1:\(first.port)", "--data-dir", data.path], timeout: 3)
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("cannot start"))
        #expect(result.stderr.contains("Address already in use"), "the port is refused before the data folder is opened")
    }

    @Test(.enabled(if: curlPath != nil, "needs curl"))
    func listensOnIPv6Loopback() throws {
        let server = try ZKGateProcess(["--listen", "[::1]:0"])
        defer { server.stop() }
        #expect(server.stderr.text.contains("address=[::1]:\(server.port)"))
        let result = try runCommand(curlPath!, ["-sS", "--max-time", "10", "-g", "http://[::1]:\(server.port)/healthz"])
        #expect(result.status == 0, "curl: \(result.stderr)")
        #expect(result.stdoutText == healthzBody)
    }

    @Test func oneThreadServes() throws {
        let server = try ZKGateProcess(["--threads", "1"])
        defer { server.stop() }
        #expect(server.stderr.text.contains("threads=1"))
        #expect(try server.connect().request("GET", "/healthz").bodyText == healthzBody)
    }
}
