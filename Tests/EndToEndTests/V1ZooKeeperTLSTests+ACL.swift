import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What zkgate writes carries ZooKeeper ACLs: with an identity (its client certificate, or
/// digest credentials) the nodes it creates are its own, readable by everyone, and its
/// internal subtree is closed to everyone else. Checked with ZooKeeper's own clients.
extension V1ZooKeeperTLSTests {
    /// kazoo with the gateway's certificate (the same x509 identity).
    func kazooAsGateway(_ body: String, root: String) throws -> String {
        let d = ensemble.tlsDirectory
        return try Kazoo.run(connectString: ensemble.connectString, body, root: root,
            options: ", use_ssl=True, ca='\(d)/ca.pem', certfile='\(d)/client.pem', keyfile='\(d)/client-key.pem'")
    }

    /// Python that prints what each named operation did: `ok` or the exception's class.
    static func attempts(_ operations: [(String, String)]) -> String {
        operations.map { name, code in
            "try:\n    \(code)\n    print('\(name) ok')\nexcept Exception as e:\n    print('\(name) ' + type(e).__name__)"
        }.joined(separator: "\n")
    }

    @Test func otherClientsMayReadWhatTheGatewayWroteButNotChangeItOrItsRecords() throws {
        let server = try gateway("/tls-acl")
        let client = try server.connect()
        #expect(try client.put("/config/app?parents=true", "v1").status == 201)
        let session = try client.openSession(ttl: 20_000)
        #expect(try client.post("/device/e?parents=true", json: ["data": "x", "mode": "ephemeral", "session": session]).status == 201)
        let acls = try kazoo("zk.sync(root + '/config'); print(sorted('%s:%s:%d' % (a.id.scheme, a.id.id, a.perms) for a in zk.get_acls(root + '/config/app')[0]))",
                             root: "/tls-acl")
        #expect(acls == "['world:anyone:1', 'x509:CN=zkgate,O=zkgate:31']", "\(acls)")
        let stranger = try kazoo(Self.attempts([
            ("read", "zk.get(root + '/config/app')"),
            ("set", "zk.set(root + '/config/app', b'evil')"),
            ("delete", "zk.delete(root + '/device/e')"),
            ("create", "zk.create(root + '/config/other', b'x')"),
            ("records", "zk.get_children(root + '/zkgate/sessions')"),
            ("record", "zk.get(root + '/zkgate/sessions/' + zk.get_children(root + '/zkgate/sessions')[0])"),
            ("replicas", "zk.get_children(root + '/zkgate/replicas')"),
        ]), root: "/tls-acl")
        #expect(stranger.split(separator: "\n") == ["read ok", "set NoAuthError", "delete NoAuthError", "create NoAuthError",
            "records NoAuthError", "record NoAuthError", "replicas NoAuthError"], "\(stranger)")
        // The same identity as the gateway may (a Curator service configured with it, say).
        let peer = try kazooAsGateway(Self.attempts([("set", "zk.set(root + '/config/app', b'v2')")]), root: "/tls-acl")
        #expect(peer == "set ok", "\(peer)")
        #expect(try client.get("/config/app?consistent=true").dataText == "v2")
        #expect(try client.get("/device/e").status == 200)
    }

    /// A node someone else made with an ACL that leaves the gateway out: a clear 403, not a
    /// 503 to retry.
    @Test func aNodeWhoseACLLeavesTheGatewayOutIsA403() throws {
        let server = try gateway("/tls-denied")
        let client = try server.connect()
        #expect(try client.put("/open?parents=true", "x").status == 201)
        _ = try kazooAsGateway("""
            from kazoo.security import make_acl
            zk.create(root + '/readonly', b'ro', acl=[make_acl('world', 'anyone', read=True)])
            zk.create(root + '/hidden', b'h', acl=[make_acl('digest', 'someone:c29tZW9uZQ==', all=True)])
            """, root: "/tls-denied")
        let write = try client.put("/readonly", "mine")
        #expect(write.status == 403, "\(write)")
        #expect(write.object["type"] as? String == "urn:zkgate:problem:zookeeper-acl-denied", "\(write.bodyText)")
        #expect(write.header("Retry-After") == nil)
        #expect(try client.get("/readonly").dataText == "ro")
        let read = try client.get("/hidden")
        #expect(read.status == 403 && read.object["type"] as? String == "urn:zkgate:problem:zookeeper-acl-denied", "\(read)")
        let child = try client.put("/readonly/child", "x")
        #expect(child.status == 403, "creating below it needs its create permission: \(child)")
    }

    /// A Curator client with the identity the ACL grants takes part in a lock with HTTP
    /// devices over TLS, as it does on an open ensemble.
    @Test(.enabled(if: Curator.available)) func curatorWithTheGrantedIdentityInteroperates() throws {
        let server = try gateway("/tls-curator")
        let client = try server.connect()
        let d = ensemble.tlsDirectory
        let jvm = Curator.tlsOptions(ca: d + "/ca.pem", keyStore: d + "/client-keystore.pem")
        let curator = ensemble.connectString + "/tls-curator"
        let holder = try Curator.start(connectString: curator, arguments: ["mutex-hold", "/locks/shared", "3000"], jvm: jvm)
        _ = try holder.waitFor("acquired ")
        let session = try client.openSession(ttl: 20_000)
        let blocked = try client.acquire("shared", session: session, wait: "500ms")
        #expect(blocked.status == 409, "\(blocked)")
        let granted = try client.acquire("shared", session: session, wait: "10s", timeout: 20)
        #expect(granted.status == 200 && granted.token != nil, "\(granted)")
        let tried = try Curator.run(connectString: curator, arguments: ["mutex-try", "/locks/shared", "500"], jvm: jvm)
        #expect(tried.last == "timeout", "the device holds it: \(tried)")
    }

    /// Digest credentials from a file: the nodes are the credential's, kazoo with the same
    /// digest may change them and with none may not, and they are sent again on the new
    /// connection after the member dies.
    @Test func digestCredentialsFromAFile() throws {
        let folder = try TemporaryDirectory(prefix: "zkgate-auth")
        let file = folder.path + "/zookeeper-auth"
        try "# zkgate's identity on the ensemble\n\ndigest:zkgate:s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let server = try V1Server(["--zookeeper", ensemble.connectString + "/tls-digest", "--zookeeper-tls-ca", ensemble.tlsDirectory + "/ca.pem",
                                   "--zookeeper-auth-file", file])
        let client = try server.connect()
        #expect(try client.put("/n?parents=true", "1").status == 201)
        #expect(!server.process.stderr.text.contains("s3cret"), "the password is never logged")
        let acls = try kazoo("zk.sync(root + '/n'); print([a.id.scheme + ':' + a.id.id.split(':')[0] for a in zk.get_acls(root + '/n')[0]])", root: "/tls-digest")
        #expect(acls == "['digest:zkgate', 'world:anyone']", "\(acls)")
        let outcomes = try kazoo(Self.attempts([
            ("anonymous", "zk.set(root + '/n', b'x')"),
            ("digest", "zk.add_auth('digest', 'zkgate:s3cret'); zk.set(root + '/n', b'2')"),
        ]), root: "/tls-digest")
        #expect(outcomes == "anonymous NoAuthError\ndigest ok", "\(outcomes)")
        let member = try #require(try ensemble.member(connectedFrom: server.pid))
        try ensemble.run("kill \(member)")
        defer { _ = try? ensemble.run("start-member \(member)") }
        let written = try eventually(timeout: 15, every: 0.1) { try client.put("/n", "3").status == 200 }
        #expect(written, "credentials re-sent on the new connection: \(server.process.stderr.text.suffix(1500))")
    }

    /// The auth file's problems stop start-up, never echoing its content.
    @Test func badAuthFilesAreRefused() throws {
        let binary = try ZKGateProcess.binaryPath()
        let folder = try TemporaryDirectory(prefix: "zkgate-auth-bad")
        func refusal(_ content: String?, mode: mode_t = 0o600, extra: [String] = []) throws -> String {
            let file = folder.path + "/auth-\(UUID().uuidString)"
            if let content {
                try content.write(toFile: file, atomically: true, encoding: .utf8)
                chmod(file, mode)
            }
            let result = try runCommand(binary, ["serve", "--listen", "127.0.0.1:0", "--data-dir", folder.path,
                "--zookeeper", ensemble.connectString, "--zookeeper-auth-file", file] + extra, timeout: 20)
            #expect(result.status != 0)
            #expect(!result.stderr.contains("hunter2"), "\(result.stderr)")
            return result.stderr
        }
        #expect(try refusal(nil).contains("No such file"))
        #expect(try refusal("digest:zkgate:hunter2\n", mode: 0o644).contains("readable by every user"))
        #expect(try refusal("zkgate hunter2\n").contains("line 1: not scheme:credentials"))
        #expect(try refusal("# nothing\n\n").contains("holds no credentials"))
        #expect(try refusal("digest:zkgate:hunter2\n", extra: ["--zookeeper-acl", "world:anyone:rx"]).contains("'x' is not a permission"))
        #expect(try refusal(nil, extra: ["--zookeeper-acl", "auth::cdrwa"]).contains("No such file"))
    }
}
