import CNGHTTP2
import Foundation
import TestSupport
import Testing

/// HTTP/2 on the real binary: curl over h2c and h2 (ALPN), and an nghttp2 client on a socket
/// for stream-level cases (many parked long-polls on one connection, a reset parked stream,
/// a 1-byte flow-control window, and a rapid-reset client cut off while others are served).
@Suite struct HTTP2EndToEndTests {
    static let preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    /// Moves bytes between the client and the socket until `done` or `timeout`.
    @discardableResult
    static func pump(_ client: HTTP2TestClient, _ socket: RawHTTPClient, timeout: Double = 10, until done: () -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let up = client.outgoing()
            if !up.isEmpty { try socket.send(up) }
            let down = try socket.readAvailable(timeout: 0.005)
            if !down.isEmpty { client.incoming(down) }
            if done() { return true }
            if socket.peerHasClosed && down.isEmpty && up.isEmpty { return done() }
        }
        return done()
    }

    @Test(.enabled(if: curlPath != nil, "needs curl")) func curlSpeaksH2CWithPriorKnowledge() throws {
        let curl = curlPath!
        let server = try V1Server()
        defer { server.stop() }
        let put = try runCommand(curl, ["-s", "--http2-prior-knowledge", "-X", "PUT", "-H", "Content-Type: application/json",
            "--data", #"{"data":"h2"}"#, "-w", "\n%{http_version} %{http_code}", "\(server.base)/v1/nodes/h2?parents=true"])
        #expect(put.stdoutText.hasSuffix("\n2 201"), "\(put.stdoutText) \(put.stderr)")
        let get = try runCommand(curl, ["-s", "--http2-prior-knowledge", "-w", "\n%{http_version} %{http_code}",
            "\(server.base)/v1/nodes/h2"])
        #expect(get.stdoutText.contains(#""data":"h2""#) && get.stdoutText.hasSuffix("\n2 200"), "\(get.stdoutText)")
        let missing = try runCommand(curl, ["-s", "--http2-prior-knowledge", "-w", "\n%{http_code}", "\(server.base)/nope"])
        #expect(missing.stdoutText.hasSuffix("\n404") && missing.stdoutText.contains("urn:zkgate:problem:not-found"))
        // HTTP/1.1 on the same port is unchanged.
        #expect(try server.connect().get("/h2").dataText == "h2")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/nghttp"), "needs nghttp (nghttp2-client)"))
    func nghttpAndH2loadAreServed() throws {
        let certs = try TestCertificates()
        let (server, tlsPort) = try TLSListenerTests.server(certs)
        defer { server.stop() }
        let nghttp = try runCommand("/usr/bin/nghttp", ["-nv", "\(server.base)/healthz"])
        #expect(nghttp.status == 0, "\(nghttp.stderr)")
        #expect(nghttp.stdoutText.contains(":status: 200"), "\(nghttp.stdoutText)")
        #expect(nghttp.stdoutText.contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):256"), "\(nghttp.stdoutText)")
        let overTLS = try runCommand("/usr/bin/nghttp", ["-nv", "https://localhost:\(tlsPort)/healthz"])
        #expect(overTLS.stdoutText.contains(":status: 200"), "\(overTLS.stdoutText) \(overTLS.stderr)")
        let load = try runCommand("/usr/bin/h2load", ["-n", "2000", "-c", "4", "-m", "10", "\(server.base)/healthz"], timeout: 60)
        #expect(load.stdoutText.contains("2000 succeeded, 0 failed, 0 errored"), "\(load.stdoutText)")
        #expect(load.stdoutText.contains("2000 2xx"), "\(load.stdoutText)")
    }

    @Test(.enabled(if: curlPath != nil, "needs curl")) func curlUpgradesToH2CAndABodyStaysOnHTTP11() throws {
        let curl = curlPath!
        let server = try V1Server()
        defer { server.stop() }
        let upgraded = try runCommand(curl, ["-s", "-v", "--http2", "-w", "\n%{http_version} %{http_code}", "\(server.base)/healthz"])
        #expect(upgraded.stderr.contains("101 Switching Protocols"), "\(upgraded.stderr)")
        #expect(upgraded.stdoutText == "{\"status\":\"ok\"}\n2 200", "\(upgraded.stdoutText)")
        // A request with a body is served on HTTP/1.1: the server may ignore an upgrade, and
        // one with a body would need the body replayed as stream 1's.
        let posted = try runCommand(curl, ["-s", "--http2", "-X", "POST", "-H", "Content-Type: application/json", "--data", "{}",
            "-w", "\n%{http_version} %{http_code}", "\(server.base)/v1/sessions"])
        #expect(posted.stdoutText.hasSuffix("\n1.1 201"), "\(posted.stdoutText)")
        // A malformed HTTP2-Settings is no upgrade either.
        let client = try server.connect()
        let plain = try client.request("GET", "/healthz", headers: [("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"),
            ("HTTP2-Settings", "!!!")])
        #expect(plain.status == 200)
    }

    @Test(.enabled(if: curlPath != nil, "needs curl")) func curlChoosesH2ByALPNOverTLS() throws {
        let curl = curlPath!
        let certs = try TestCertificates()
        let (server, port) = try TLSListenerTests.server(certs)
        defer { server.stop() }
        let h2 = try runCommand(curl, ["-s", "--http2", "--cacert", certs.ca, "-w", "\n%{http_version} %{http_code}",
            "https://localhost:\(port)/healthz"])
        #expect(h2.stdoutText == "{\"status\":\"ok\"}\n2 200", "\(h2.stdoutText) \(h2.stderr)")
        let h1 = try runCommand(curl, ["-s", "--http1.1", "--cacert", certs.ca, "-w", "\n%{http_version} %{http_code}",
            "https://localhost:\(port)/healthz"])
        #expect(h1.stdoutText.hasSuffix("\n1.1 200"), "\(h1.stdoutText)")
    }

    @Test func manyParkedLongPollsOnOneConnectionAreWokenByOneWrite() throws {
        let server = try V1Server()
        defer { server.stop() }
        let writer = try server.connect()
        let index = try #require(try writer.put("/fleet?parents=true", "v1").zkIndex)
        let socket = try server.connect()
        let client = HTTP2TestClient()
        let streams = (0..<100).map { _ in client.request("GET", "/v1/nodes/fleet?index=\(index)&wait=30s") }
        #expect(try Self.pump(client, socket, timeout: 5) { ((try? writer.parked()) ?? 0) >= 100 }, "100 streams parked")
        #expect(client.statuses.isEmpty)
        #expect(try writer.put("/fleet", "v2").status == 200)
        #expect(try Self.pump(client, socket) { streams.allSatisfy { client.ended.contains($0) } })
        for stream in streams {
            #expect(client.statuses[stream] == "200")
            #expect(String(decoding: client.bodies[stream] ?? [], as: UTF8.self).contains(#""data":"v2""#))
        }
        #expect(try writer.metric("zkgate_http2_connections_total") == 1)
        #expect(try writer.parked() == 0)
    }

    @Test func serverSentEventsStreamOverHTTP2() throws {
        let server = try V1Server()
        defer { server.stop() }
        let writer = try server.connect()
        #expect(try writer.put("/app?parents=true", "v1").status == 201)
        let socket = try server.connect()
        let client = HTTP2TestClient()
        let feed = client.request("GET", "/v1/watch/app?recursive=true", headers: [("accept", "text/event-stream")])
        #expect(try Self.pump(client, socket, timeout: 5) { client.statuses[feed] != nil })
        #expect(client.statuses[feed] == "200")
        #expect(try writer.put("/app/child?parents=true", "x").status == 201)
        #expect(try Self.pump(client, socket, timeout: 5) {
            String(decoding: client.bodies[feed] ?? [], as: UTF8.self).contains("/app/child")
        }, "the event arrived on the open stream: \(String(decoding: client.bodies[feed] ?? [], as: UTF8.self))")
        #expect(!client.ended.contains(feed), "the stream stays open")
    }

    @Test func gracefulShutdownAnswersParkedStreamsAndSendsGoAway() throws {
        let server = try V1Server()
        defer { server.stop() }
        let writer = try server.connect()
        let index = try #require(try writer.put("/g?parents=true", "v1").zkIndex)
        let socket = try server.connect()
        let client = HTTP2TestClient()
        let parked = client.request("GET", "/v1/nodes/g?index=\(index)&wait=30s")
        #expect(try Self.pump(client, socket, timeout: 5) { ((try? writer.parked()) ?? 0) == 1 })
        server.process.signal(SIGTERM)
        #expect(try Self.pump(client, socket, timeout: 10) { client.ended.contains(parked) && client.goAwayCode != nil })
        #expect(client.statuses[parked] == "200", "answered with the unchanged state")
        #expect(client.goAwayCode == 0 && client.goAwayLastStream == parked)
        #expect(server.process.waitForExit(timeout: 10) == .exited(0))
    }

    /// With any error code: NO_ERROR too says the client no longer wants the answer.
    @Test(arguments: [UInt32(NGHTTP2_CANCEL.rawValue), UInt32(NGHTTP2_NO_ERROR.rawValue)])
    func aResetParkedStreamIsUnparkedAndTheConnectionGoesOn(errorCode: UInt32) throws {
        let server = try V1Server()
        defer { server.stop() }
        let writer = try server.connect()
        let index = try #require(try writer.put("/r?parents=true", "v1").zkIndex)
        let socket = try server.connect()
        let client = HTTP2TestClient()
        let parked = client.request("GET", "/v1/nodes/r?index=\(index)&wait=30s")
        #expect(try Self.pump(client, socket, timeout: 5) { ((try? writer.parked()) ?? 0) == 1 })
        client.reset(parked, errorCode: errorCode)
        #expect(try Self.pump(client, socket, timeout: 5) { ((try? writer.parked()) ?? 1) == 0 }, "the reset unparked it")
        let next = client.request("GET", "/healthz")
        #expect(try Self.pump(client, socket) { client.ended.contains(next) })
        #expect(client.statuses[next] == "200")
    }

    @Test func anIdleConnectionIsClosedAfterItsLastAnswer() throws {
        let server = try V1Server(["--idle-timeout", "1"])
        defer { server.stop() }
        let socket = try server.connect()
        let client = HTTP2TestClient()
        let stream = client.request("GET", "/openapi.yaml")  // an answer with a body
        #expect(try Self.pump(client, socket) { client.ended.contains(stream) })
        #expect(try Self.pump(client, socket, timeout: 5) { socket.peerHasClosed }, "closed after --idle-timeout")
        #expect(client.goAwayCode == 0, "with a graceful GOAWAY")
    }

    @Test func aStreamLeftIncompletePastTheBodyTimeoutIsAnswered408() throws {
        let server = try V1Server(["--body-timeout", "1"])
        defer { server.stop() }
        let socket = try server.connect()
        let client = HTTP2TestClient()
        let stalled = client.requestStalled("PUT", "/v1/nodes/stalled")
        let fine = client.request("GET", "/healthz")
        #expect(try Self.pump(client, socket) { client.ended.contains(fine) })
        #expect(!client.ended.contains(stalled))
        #expect(try Self.pump(client, socket, timeout: 5) { client.statuses[stalled] != nil })
        #expect(client.statuses[stalled] == "408")
        #expect(try server.connect().get("/stalled").status == 404, "nothing was written")
    }

    @Test func aOneByteFlowControlWindowStillDeliversTheWholeAnswer() throws {
        let server = try V1Server()
        defer { server.stop() }
        let value = String(repeating: "z", count: 100)
        #expect(try server.connect().put("/big?parents=true", value).status == 201)
        let socket = try server.connect()
        let client = HTTP2TestClient(initialWindowSize: 1)
        let stream = client.request("GET", "/v1/nodes/big")
        // Every byte of the answer waits for a WINDOW_UPDATE from the client.
        #expect(try Self.pump(client, socket, timeout: 30) { client.ended.contains(stream) })
        #expect(String(decoding: client.bodies[stream] ?? [], as: UTF8.self).contains(value))
    }

    @Test func aRapidResetClientIsCutOffWhileOthersAreServed() throws {
        let server = try V1Server()
        defer { server.stop() }
        let attacker = try server.connect()
        let evil = HTTP2TestClient()
        try attacker.send(evil.outgoing())
        var cutOff = false
        // HEADERS then RST_STREAM for 100 streams per write: the rate stays a flood however
        // busy the machine is.
        for _ in 0..<20 {
            var burst: [UInt8] = []
            for _ in 0..<100 {
                let stream = evil.request("GET", "/healthz")
                burst += evil.outgoing()
                evil.reset(stream)
                burst += evil.outgoing()
            }
            do { try attacker.send(burst) } catch {
                cutOff = true
                break
            }
            if attacker.peerHasClosed {
                cutOff = true
                break
            }
        }
        _ = try? Self.pump(evil, attacker, timeout: 2) { evil.goAwayCode != nil }
        #expect(cutOff || evil.goAwayCode != nil, "the flood was stopped")
        #expect(evil.goAwayCode == UInt32(NGHTTP2_ENHANCE_YOUR_CALM.rawValue))
        let socket = try server.connect()
        let polite = HTTP2TestClient()
        let stream = polite.request("GET", "/healthz")
        #expect(try Self.pump(polite, socket) { polite.ended.contains(stream) })
        #expect(polite.statuses[stream] == "200")
        #expect(try server.connect().metric("zkgate_http2_reset_floods_total") == 1)
        // The flooder's connection lingers (input discarded) and then closes, though it never
        // closes its own side: only the polite connection and the metrics one stay open.
        let metrics = try server.connect()
        var open = -1
        let closed = try eventually(timeout: 5) {
            open = try metrics.metric("zkgate_http_connections_open")
            return open == 2
        }
        #expect(closed, "\(open) connections open")
        _ = attacker
    }
}
