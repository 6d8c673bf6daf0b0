import Foundation
import TestSupport
import Testing

/// HTTPS beside plain HTTP on the real binary, checked with curl and `openssl s_client`.
@Suite(.enabled(if: curlPath != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"),
                "needs curl and openssl"))
struct TLSListenerTests {
    static let certificates = Result { try TestCertificates() }

    /// zkgate with a TLS listener on a free port, and that port.
    static func server(_ certs: TestCertificates, _ extra: [String] = []) throws -> (V1Server, UInt16) {
        let server = try V1Server(["--tls-listen", "127.0.0.1:0", "--tls-cert", certs.serverCertificate,
            "--tls-key", certs.serverKey] + extra)
        let log = server.process.stderr.text
        let port = try #require(log.firstMatch(of: /tlsAddress=127\.0\.0\.1:(\d+)/).flatMap { UInt16($0.1) }, "\(log)")
        return (server, port)
    }

    static func curl(_ arguments: [String]) throws -> CommandResult {
        try runCommand(curlPath!, ["-s", "--max-time", "10"] + arguments)
    }

    static func sClient(_ port: UInt16, _ arguments: [String]) throws -> String {
        let result = try runCommand("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)"] + arguments)
        return result.stdoutText + result.stderr
    }

    @Test func plainAndTLSServeTheSameRoutesSideBySide() throws {
        let certs = try Self.certificates.get()
        let (server, port) = try Self.server(certs)
        defer { server.stop() }
        let put = try Self.curl(["--cacert", certs.ca, "-X", "PUT", "-H", "Content-Type: application/json",
            "--data", #"{"data":"over tls"}"#, "-w", "\n%{http_code} %{http_version} %{ssl_verify_result}",
            "https://localhost:\(port)/v1/nodes/secure?parents=true"])
        #expect(put.status == 0, "\(put.stderr)")
        #expect(put.stdoutText.hasSuffix("201 2 0"), "curl chose HTTP/2 by ALPN: \(put.stdoutText)")
        let plain = try server.connect().get("/secure")
        #expect(plain.dataText == "over tls")
        // A plain request to the TLS port is not TLS: the handshake fails and the connection closes.
        let wrong = try Self.curl(["http://127.0.0.1:\(port)/healthz"])
        #expect(wrong.status != 0)
        #expect(try server.connect().metric("zkgate_tls_failures_total") >= 1)
    }

    @Test func onlyTLS12And13WithALPNH2ThenHTTP11() throws {
        let certs = try Self.certificates.get()
        let (server, port) = try Self.server(certs)
        defer { server.stop() }
        let old = try Self.sClient(port, ["-tls1_1", "-CAfile", certs.ca])
        #expect(old.contains("alert protocol version"), "\(old)")
        for version in ["tls1_2", "tls1_3"] {
            let out = try Self.sClient(port, ["-\(version)", "-CAfile", certs.ca, "-alpn", "h2,http/1.1"])
            #expect(out.contains("Verify return code: 0 (ok)"), "\(version): \(out)")
            #expect(out.contains("ALPN protocol: h2"), "\(version): \(out)")
            let h1 = try Self.sClient(port, ["-\(version)", "-CAfile", certs.ca, "-alpn", "http/1.1"])
            #expect(h1.contains("ALPN protocol: http/1.1"), "\(version): \(h1)")
        }
        let unknownCA = try Self.curl(["https://localhost:\(port)/healthz"])
        #expect(unknownCA.status == 60, "curl refuses the server without its CA: \(unknownCA.stderr)")
    }

    @Test func aClosingConnectionSendsCloseNotify() throws {
        let certs = try Self.certificates.get()
        let (server, port) = try Self.server(certs)
        defer { server.stop() }
        let request = try TemporaryDirectory(prefix: "zkgate-tls-close")
        let file = request.path + "/request"
        try "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".write(toFile: file, atomically: true, encoding: .utf8)
        // s_client reads the request from stdin: run it through a shell for the redirection.
        let out = try runCommand("/bin/sh", ["-c",
            "/usr/bin/openssl s_client -connect 127.0.0.1:\(port) -CAfile \(certs.ca) -quiet -ign_eof < \(file)"])
        #expect(out.stdoutText.contains(#"{"status":"ok"}"#), "\(out.stdoutText)")
        #expect(!out.stderr.contains("unexpected eof"), "the server ended TLS cleanly: \(out.stderr)")
    }

    @Test func requiredClientCertificatesRefuseTheHandshakeWithoutOne() throws {
        let certs = try Self.certificates.get()
        let (server, port) = try Self.server(certs, ["--tls-client-ca", certs.ca, "--tls-client-auth", "required"])
        defer { server.stop() }
        let anonymous = try Self.curl(["--cacert", certs.ca, "https://localhost:\(port)/healthz"])
        #expect(anonymous.status != 0, "no certificate, no handshake: \(anonymous.stdoutText)")
        let stranger = try Self.curl(["--cacert", certs.ca, "--cert", certs.strangerCertificate, "--key", certs.strangerKey,
            "https://localhost:\(port)/healthz"])
        #expect(stranger.status != 0, "a certificate from another CA: \(stranger.stdoutText)")
        let expired = try Self.curl(["--cacert", certs.ca, "--cert", certs.expiredCertificate, "--key", certs.expiredKey,
            "https://localhost:\(port)/healthz"])
        #expect(expired.status != 0, "an expired certificate: \(expired.stdoutText)")
        // TLS 1.2 refuses the client's certificate inside the handshake (TLS 1.3 does it after
        // the client may already have finished), so s_client reliably prints the alert.
        let sClient = try Self.sClient(port, ["-tls1_2", "-CAfile", certs.ca, "-cert", certs.expiredCertificate,
            "-key", certs.expiredKey])
        #expect(sClient.contains("certificate expired"), "\(sClient)")
        let device = try Self.curl(["--cacert", certs.ca, "--cert", certs.clientCertificate, "--key", certs.clientKey,
            "https://localhost:\(port)/healthz"])
        #expect(device.status == 0 && device.stdoutText == #"{"status":"ok"}"#, "\(device.stderr)")
    }

    @Test func optionalClientCertificatesAnswer401WithoutOneExceptToProbes() throws {
        let certs = try Self.certificates.get()
        let (server, port) = try Self.server(certs, ["--tls-client-ca", certs.ca, "--tls-client-auth", "optional"])
        defer { server.stop() }
        let refused = try Self.curl(["--cacert", certs.ca, "-w", "\n%{http_code}", "https://localhost:\(port)/v1/nodes/"])
        #expect(refused.stdoutText.hasSuffix("401"), "\(refused.stdoutText)")
        #expect(refused.stdoutText.contains("urn:zkgate:problem:client-certificate-required"))
        let probe = try Self.curl(["--cacert", certs.ca, "-w", "\n%{http_code}", "https://localhost:\(port)/readyz"])
        #expect(probe.stdoutText.hasSuffix("200"), "\(probe.stdoutText)")
        let device = try Self.curl(["--cacert", certs.ca, "--cert", certs.clientCertificate, "--key", certs.clientKey,
            "-w", "\n%{http_code}", "https://localhost:\(port)/v1/nodes/"])
        #expect(device.stdoutText.hasSuffix("200"), "\(device.stdoutText)")
    }

    @Test func sighupReloadsTheCertificateForNewConnectionsAndKeepsOpenOnes() throws {
        let certs = try Self.certificates.get()
        let folder = try TemporaryDirectory(prefix: "zkgate-tls-reload")
        let cert = folder.path + "/server.pem"
        let key = folder.path + "/server.key"
        try FileManager.default.copyItem(atPath: certs.serverCertificate, toPath: cert)
        try FileManager.default.copyItem(atPath: certs.serverKey, toPath: key)
        let server = try V1Server(["--tls-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        let log = server.process.stderr.text
        let port = try #require(log.firstMatch(of: /tlsAddress=127\.0\.0\.1:(\d+)/).flatMap { UInt16($0.1) })
        let before = try Self.sClient(port, ["-CAfile", certs.ca])
        #expect(before.contains("CN = localhost"), "\(before)")
        // A long-poll on a TLS connection made before the reload, answered after it.
        let index = try #require(try server.connect().put("/watched?parents=true", "before").zkIndex)
        let curl = curlPath!
        let ca = certs.ca
        let poll = Background("tls-long-poll") {
            try runCommand(curl, ["-s", "--max-time", "20", "--cacert", ca,
                "https://localhost:\(port)/v1/nodes/watched?index=\(index)&wait=15s"], timeout: 25)
        }
        #expect(eventually(timeout: 5) { ((try? server.connect().parked()) ?? 0) >= 1 }, "the long-poll is parked")
        // A new certificate (another serial) for the same name, swapped in and reloaded.
        try certs.issue("renewed", by: "ca", subject: "/CN=localhost/O=renewed", san: "DNS:localhost,IP:127.0.0.1")
        try FileManager.default.removeItem(atPath: cert)
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: certs.directory.path + "/renewed.pem", toPath: cert)
        try FileManager.default.copyItem(atPath: certs.directory.path + "/renewed.key", toPath: key)
        server.process.signal(SIGHUP)
        #expect(eventually(timeout: 5) { server.process.stderr.text.contains("reloaded the TLS certificate") })
        let after = try Self.sClient(port, ["-CAfile", certs.ca])
        #expect(after.contains("O = renewed"), "\(after)")
        #expect(try server.connect().put("/watched", "after").status == 200)
        let answered = try #require(poll.wait(timeout: 20)).result.get()
        #expect(answered.stdoutText.contains(#""data":"after""#), "the older connection outlived the reload: \(answered.stdoutText)")
        // A broken file on reload keeps the previous certificate.
        try "not a certificate".write(toFile: cert, atomically: true, encoding: .utf8)
        server.process.signal(SIGHUP)
        #expect(eventually(timeout: 5) { server.process.stderr.text.contains("kept the previous TLS certificate") })
        let kept = try Self.sClient(port, ["-CAfile", certs.ca])
        #expect(kept.contains("O = renewed"), "\(kept)")
    }

    @Test func badTLSOptionsStopStartUpWithAClearMessage() throws {
        let certs = try Self.certificates.get()
        for (arguments, expected) in [
            (["--tls-listen", "127.0.0.1:0"], "--tls-listen needs --tls-cert and --tls-key"),
            (["--tls-cert", certs.serverCertificate], "need --tls-listen"),
            (["--tls-listen", "127.0.0.1:0", "--tls-cert", certs.serverCertificate, "--tls-key", certs.serverKey,
              "--tls-client-auth", "required"], "needs --tls-client-ca"),
            (["--tls-listen", "127.0.0.1:0", "--tls-cert", certs.serverCertificate, "--tls-key", certs.serverKey,
              "--tls-client-auth", "sometimes"], "must be none, optional or required"),
            (["--listen", "127.0.0.1:18777", "--tls-listen", "127.0.0.1:18777", "--tls-cert", certs.serverCertificate,
              "--tls-key", certs.serverKey], "must use another port than --listen"),
            (["--tls-listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem", "--tls-key", certs.serverKey],
             "/nonexistent.pem"),
            (["--tls-listen", "127.0.0.1:0", "--tls-cert", certs.serverCertificate, "--tls-key", certs.clientKey],
             certs.clientKey),
        ] {
            let result = try runCommand(try ZKGateProcess.binaryPath(), ["serve", "--listen", "127.0.0.1:0", "--data-dir",
                try TemporaryDirectory(prefix: "zkgate-tls-bad").path] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect((result.stderr + result.stdoutText).contains(expected), "\(arguments): \(result.stderr)")
        }
    }
    /// The TCP ports a process listens on, from /proc (no tool needed).
    static func listeningPorts(of pid: pid_t) -> Set<UInt16> {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        let inodes = Set(fds.compactMap { fd -> String? in
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                link.hasPrefix("socket:[") else { return nil }
            return String(link.dropFirst(8).dropLast())
        })
        var ports: Set<UInt16> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let text = (try? String(contentsOfFile: table, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                // local_address is HEX:PORT, st 0A is LISTEN, the inode is the tenth column.
                guard columns.count > 9, columns[3] == "0A", inodes.contains(String(columns[9])),
                    let port = columns[1].split(separator: ":").last.flatMap({ UInt16($0, radix: 16) }) else { continue }
                ports.insert(port)
            }
        }
        return ports
    }

    @Test func listenNoneServesOnlyTLSWithRequiredClientCertificates() throws {
        let certs = try Self.certificates.get()
        let (server, port) = try Self.server(certs, ["--listen", "none", "--tls-client-ca", certs.ca,
            "--tls-client-auth", "required"])
        defer { server.stop() }
        #expect(server.process.stderr.text.contains("address=none"), "\(server.process.stderr.text)")
        #expect(Self.listeningPorts(of: server.pid) == [port], "the TLS port is the only one")
        let device = try Self.curl(["--cacert", certs.ca, "--cert", certs.clientCertificate, "--key", certs.clientKey,
            "https://localhost:\(port)/healthz"])
        #expect(device.stdoutText == #"{"status":"ok"}"#, "\(device.stderr)")
        let anonymous = try Self.curl(["--cacert", certs.ca, "https://localhost:\(port)/healthz"])
        #expect(anonymous.status != 0)
    }

    @Test func listenNoneWithoutATLSListenerStopsStartUp() throws {
        let result = try runCommand(try ZKGateProcess.binaryPath(), ["serve", "--listen", "none", "--data-dir",
            try TemporaryDirectory(prefix: "zkgate-tls-none").path])
        #expect(result.status != 0)
        #expect((result.stderr + result.stdoutText).contains("--listen none needs --tls-listen"), "\(result.stderr)")
    }

    @Test func tls12OffersOnlyECDHEWithAEAD() throws {
        let certs = try Self.certificates.get()
        let (server, port) = try Self.server(certs)
        defer { server.stop() }
        for suite in ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256", "AES128-SHA"] {
            let out = try Self.sClient(port, ["-tls1_2", "-cipher", suite, "-CAfile", certs.ca])
            #expect(out.contains("Cipher is (NONE)"), "no handshake with \(suite): \(out)")
        }
        let good = try Self.sClient(port, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-CAfile", certs.ca])
        #expect(good.contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), "\(good)")
        // With an RSA certificate, static RSA key exchange is still refused; ECDHE-RSA is served.
        let rsa = try V1Server(["--tls-listen", "127.0.0.1:0", "--tls-cert", certs.rsaServerCertificate,
            "--tls-key", certs.rsaServerKey])
        defer { rsa.stop() }
        let log = rsa.process.stderr.text
        let rsaPort = try #require(log.firstMatch(of: /tlsAddress=127\.0\.0\.1:(\d+)/).flatMap { UInt16($0.1) })
        for suite in ["AES128-GCM-SHA256", "AES256-SHA256", "ECDHE-RSA-AES128-SHA"] {
            let out = try Self.sClient(rsaPort, ["-tls1_2", "-cipher", suite, "-CAfile", certs.ca])
            #expect(out.contains("Cipher is (NONE)"), "no handshake with \(suite): \(out)")
        }
        let ecdhe = try Self.sClient(rsaPort, ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-CAfile", certs.ca])
        #expect(ecdhe.contains("Cipher is ECDHE-RSA-AES256-GCM-SHA384"), "\(ecdhe)")
    }

    @Test func strictTransportSecurityOnTLSAnswersOnly() throws {
        let certs = try Self.certificates.get()
        let (server, port) = try Self.server(certs)
        defer { server.stop() }
        for version in ["--http1.1", "--http2"] {
            let head = try Self.curl([version, "-D", "-", "-o", "/dev/null", "--cacert", certs.ca,
                "https://localhost:\(port)/healthz"])
            #expect(head.stdoutText.lowercased().contains("strict-transport-security: max-age=31536000\r\n"),
                "\(version): \(head.stdoutText)")
            let problem = try Self.curl([version, "-D", "-", "-o", "/dev/null", "--cacert", certs.ca,
                "https://localhost:\(port)/nope"])
            #expect(problem.stdoutText.lowercased().contains("strict-transport-security: max-age=31536000"), "errors too")
        }
        let plain = try server.connect().request("GET", "/healthz")
        #expect(plain.status == 200 && plain.header("Strict-Transport-Security") == nil, "never over plain HTTP")
        let h2c = try Self.curl(["--http2-prior-knowledge", "-D", "-", "-o", "/dev/null", "\(server.base)/healthz"])
        #expect(!h2c.stdoutText.lowercased().contains("strict-transport-security"), "\(h2c.stdoutText)")

        let (custom, customPort) = try Self.server(certs, ["--tls-hsts-max-age", "600"])
        defer { custom.stop() }
        let short = try Self.curl(["-D", "-", "-o", "/dev/null", "--cacert", certs.ca, "https://localhost:\(customPort)/healthz"])
        #expect(short.stdoutText.lowercased().contains("strict-transport-security: max-age=600\r\n"), "\(short.stdoutText)")
        let (off, offPort) = try Self.server(certs, ["--tls-hsts-max-age", "0"])
        defer { off.stop() }
        let none = try Self.curl(["-D", "-", "-o", "/dev/null", "--cacert", certs.ca, "https://localhost:\(offPort)/healthz"])
        #expect(none.status == 0 && !none.stdoutText.lowercased().contains("strict-transport-security"), "\(none.stdoutText)")
    }
}
