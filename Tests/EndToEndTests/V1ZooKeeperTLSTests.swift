import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// zkgate on an ensemble that serves TLS only (deploy/zk-ensemble.sh with ZK_TLS=1, one of the
/// suite's own): the native client's TLS on the members' secure client ports, presenting the
/// gateway's certificate; reconnects and session re-attach over TLS exactly as over
/// plaintext; kazoo over TLS sees what zkgate wrote; and each certificate problem a clear
/// error. It starts and kills members, so it runs in scripts/test.sh's fault step.
@Suite(.serialized, .enabled(if: EnsembleScript.path != nil && EnsembleScript.faultTestsEnabled && Kazoo.available,
                             "fault tests: ZKGATE_FAULT_TESTS=1 via scripts/test.sh"))
final class V1ZooKeeperTLSTests {
    let ensemble: PrivateEnsemble

    init() throws {
        ensemble = try PrivateEnsemble(members: 3, basePort: 9181, tls: true)
    }

    deinit { ensemble.destroy() }

    var tlsArguments: [String] {
        let d = ensemble.tlsDirectory
        return ["--zookeeper-tls-ca", d + "/ca.pem", "--zookeeper-tls-cert", d + "/client.pem", "--zookeeper-tls-key", d + "/client-key.pem"]
    }

    func gateway(_ chroot: String, _ more: [String] = []) throws -> V1Server {
        try V1Server(["--zookeeper", ensemble.connectString + chroot] + tlsArguments + more)
    }

    /// kazoo over TLS without a client certificate: the CA only.
    func kazoo(_ body: String, root: String) throws -> String {
        try Kazoo.run(connectString: ensemble.connectString, body, root: root,
            options: ", use_ssl=True, ca='\(ensemble.tlsDirectory)/ca.pem'")
    }

    @Test func writesReadsAndAReconnectOverTLS() throws {
        let server = try gateway("/tls-basic")
        #expect(!server.process.stderr.text.contains("no identity on the ensemble"), "its certificate is its identity")
        let client = try server.connect()
        #expect(try client.put("/config/app?parents=true", "v1").status == 201)
        let session = try client.openSession(ttl: 20_000)
        let made = try client.post("/device/e?parents=true", json: ["data": "x", "mode": "ephemeral", "session": session])
        #expect(made.status == 201, "\(made)")
        let czxid = try #require(made.statInt("czxid"))
        // A follower may not have applied a write yet: sync first, as any ZooKeeper reader must.
        #expect(try kazoo("zk.sync(root + '/config/app'); print(zk.get(root + '/config/app')[0].decode())", root: "/tls-basic") == "v1")

        // The member zkgate is connected to dies: it reconnects to another over TLS, keeping
        // its ZooKeeper session and with it the device's ephemeral.
        let member = try #require(try ensemble.member(connectedFrom: server.pid))
        try ensemble.run("kill \(member)")
        defer { _ = try? ensemble.run("start-member \(member)") }
        let moved = eventually(timeout: 15, every: 0.1) {
            guard let now = try? self.ensemble.member(connectedFrom: server.pid) else { return false }
            return now != member
        }
        #expect(moved, "\(server.process.stderr.text.suffix(2000))")
        let written = try eventually(timeout: 10, every: 0.1) { try client.put("/config/app", "v2").status == 200 }
        #expect(written)
        #expect(try client.get("/device/e").statInt("czxid") == czxid)
        #expect(try client.request("PUT", "/v1/sessions/\(session)").status == 200)
        let seen = try kazoo("zk.sync(root + '/config/app'); print(zk.get(root + '/config/app')[0].decode())", root: "/tls-basic")
        #expect(seen == "v2", "\(seen)")

        // A clean stop closes the session over TLS: the ephemeral goes at once.
        let stopped = monotonicSeconds()
        let ended = server.stop()
        #expect(ended == .exited(0), "\(ended.map { "\($0)" } ?? "still running")")
        #expect(monotonicSeconds() - stopped < 5, "stopped in \(monotonicSeconds() - stopped) s")
        let gone = try kazoo("zk.sync(root + '/device'); print(zk.exists(root + '/device/e') is None)", root: "/tls-basic")
        #expect(gone == "True", "\(gone) \(server.process.stderr.text.suffix(3000))")
    }

    /// Replica adoption over TLS: the survivor attaches to the dead replica's session (id and
    /// password re-sent in a TLS handshake of its own) and the device's ephemeral keeps its
    /// czxid.
    @Test func aReplicaIsAdoptedOverTLS() throws {
        let first = try gateway("/tls-adopt")
        let second = try gateway("/tls-adopt")
        let (a, b) = (try first.connect(), try second.connect())
        #expect(eventually(timeout: 10, every: 0.05) { (try? b.metric("zkgate_replica_peers")) == 1 })
        let session = try a.openSession(ttl: 20_000)
        let made = try a.post("/adopt/e?parents=true", json: ["data": "x", "mode": "ephemeral", "session": session])
        let czxid = try #require(made.statInt("czxid"))
        _ = first.kill9()
        #expect(eventually(timeout: 10, every: 0.05) { (try? b.metric("zkgate_replica_adoptions_total")) == 1 },
            "\(second.process.stderr.text.suffix(2000))")
        sleepSeconds(1)
        #expect(try b.request("PUT", "/v1/sessions/\(session)").status == 200)
        #expect(try b.get("/adopt/e").statInt("czxid") == czxid)
        #expect(try kazoo("zk.sync(root + '/adopt'); print(zk.get(root + '/adopt/e')[1].czxid)", root: "/tls-adopt") == "\(czxid)")
    }

    /// Start-up refuses what cannot work, naming the file or the member and the reason.
    @Test func certificateProblemsAreClearErrors() throws {
        let binary = try ZKGateProcess.binaryPath()
        let d = ensemble.tlsDirectory
        let certificates = try TestCertificates()
        func refusal(_ arguments: [String]) throws -> String {
            let data = try TemporaryDirectory(prefix: "zkgate-tls-refusal")
            let result = try runCommand(binary, ["serve", "--listen", "127.0.0.1:0", "--data-dir", data.path,
                "--zookeeper-session-timeout", "2000"] + arguments, timeout: 30)
            #expect(result.status != 0, "\(arguments): \(result.stderr)")
            return result.stderr
        }
        let zookeeper = ["--zookeeper", ensemble.connectString + "/tls-refused"]
        let missing = try refusal(zookeeper + ["--zookeeper-tls-ca", d + "/nope.pem"])
        #expect(missing.contains("\(d)/nope.pem") && missing.contains("No such file"), "\(missing)")
        let expired = try refusal(zookeeper + ["--zookeeper-tls-ca", d + "/ca.pem",
            "--zookeeper-tls-cert", certificates.expiredCertificate, "--zookeeper-tls-key", certificates.expiredKey])
        #expect(expired.contains("expired on"), "\(expired)")
        let unpaired = try refusal(zookeeper + ["--zookeeper-tls-ca", d + "/ca.pem", "--zookeeper-tls-cert", d + "/client.pem"])
        #expect(unpaired.contains("go together"), "\(unpaired)")
        let plaintext = try refusal(["--zookeeper-tls-ca", d + "/ca.pem"])
        #expect(plaintext.contains("need --zookeeper"), "\(plaintext)")
        // auth:: grants the creating session's identities: without one it would grant nothing.
        let anonymousAuth = try refusal(zookeeper + ["--zookeeper-acl", "auth::cdrwa"])
        #expect(anonymousAuth.contains("--zookeeper-acl auth::cdrwa") && anonymousAuth.contains("zkgate has none"), "\(anonymousAuth)")
        // Members whose certificates another CA signed: every attempt fails verification.
        let stranger = try refusal(zookeeper + ["--zookeeper-tls-ca", certificates.ca])
        #expect(stranger.contains("127.0.0.1:9181") || stranger.contains("127.0.0.1:9182") || stranger.contains("127.0.0.1:9183"), "\(stranger)")
        #expect(stranger.contains("unable to get local issuer certificate"), "\(stranger)")
        // A name the members' certificate does not carry (127.1 reaches 127.0.0.1, but is no
        // name of it); told not to check names, the same address works.
        let otherName = "127.1:9181/tls-refused"
        let mismatch = try refusal(["--zookeeper", otherName, "--zookeeper-tls-ca", d + "/ca.pem"])
        #expect(mismatch.contains("hostname mismatch"), "\(mismatch)")
        let lenient = try V1Server(["--zookeeper", otherName, "--zookeeper-tls-ca", d + "/ca.pem", "--no-zookeeper-tls-verify-hostname"])
        #expect(try lenient.connect().put("/x", "1").status == 201)
        // No certificate and no credentials: zkgate says its nodes are open to every client.
        #expect(lenient.process.stderr.text.contains("no identity on the ensemble"), "\(lenient.process.stderr.text)")
        // An identity with an open ACL chosen on purpose is no such case.
        let chosen = try gateway("/tls-open", ["--zookeeper-acl", "world:anyone:cdrwa"])
        #expect(!chosen.process.stderr.text.contains("no identity on the ensemble"), "\(chosen.process.stderr.text)")
        // Plaintext to a TLS-only port: the member closes on the ConnectRequest.
        let cleartext = try refusal(zookeeper)
        #expect(cleartext.contains("cannot reach ZooKeeper"), "\(cleartext)")
        // TLS to a plaintext port (the tests' shared ensemble): the member closes on the
        // ClientHello, and the error says what that suggests.
        if let shared = EnsembleScript.connectString {
            let plainPort = try refusal(["--zookeeper", shared + "/tls-refused", "--zookeeper-tls-ca", d + "/ca.pem"])
            #expect(plainPort.contains("during the TLS handshake (a plaintext client port?)"), "\(plainPort)")
        }
    }
}
