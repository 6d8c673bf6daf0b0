import Testing
@testable import ZooKeeperClient

@Suite struct ConnectStringTests {
    @Test func hostsPortsAndChroot() throws {
        let parsed = try ConnectString(parsing: "10.0.0.1:2181, zk2 ,[::1]:2182/apps/zkgate")
        #expect(parsed.hosts == [HostAddress(host: "10.0.0.1", port: 2181), HostAddress(host: "zk2", port: 2181),
                                 HostAddress(host: "::1", port: 2182)])
        #expect(parsed.chroot == "/apps/zkgate")
        #expect(try ConnectString(parsing: "a:1/").chroot == nil, "a bare slash is the whole tree")
        #expect(parsed.hosts[2].description == "[::1]:2182")
    }

    @Test(arguments: [
        ("", ConnectString.ParseError.empty),
        (" , ", .empty),
        ("/only-a-chroot", .empty),
        ("zk:0", .badHost("zk:0")),
        ("zk:70000", .badHost("zk:70000")),
        ("zk:port", .badHost("zk:port")),
        (":2181", .badHost(":2181")),
        ("[::1", .badHost("[::1")),
        ("[::1]2181", .badHost("[::1]2181")),
        ("zk:2181/a/", .badChroot("/a/")),
        ("zk:2181/a//b", .badChroot("/a//b")),
        ("zk:2181/a/../b", .badChroot("/a/../b")),
    ])
    func badInputsNameTheBadPart(_ text: String, _ expected: ConnectString.ParseError) {
        #expect(throws: expected) { try ConnectString(parsing: text) }
        switch expected {
        case .badHost(let part), .badChroot(let part):
            #expect(expected.description.contains("'\(part)'"), "the message names the bad part")
        case .empty:
            #expect(expected.description.contains("no server"))
        }
    }

    @Test(arguments: [
        ("/apps/zkgate", "/apps/zkgate/a/b", "/a/b"),
        ("/apps/zkgate", "/apps/zkgate", "/"),
        ("/apps/zkgate", "/apps/zkgate2/a", "/apps/zkgate2/a"),
        ("/apps/zkgate", "/apps", "/apps"),
        ("/caf\u{E9}", "/caf\u{E9}/x", "/x"),
    ])
    func serverPathsLoseTheChrootByWholeComponents(chroot: String, path: String, expected: String) {
        #expect(ConnectString.strip(chroot, from: path) == expected)
        #expect(ConnectString.strip(nil, from: path) == path)
    }
}
