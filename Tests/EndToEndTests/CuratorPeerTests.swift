import Foundation
import TestSupport
import Testing

/// Apache Curator's recipes on the 3-node ensemble through TestSupport.Curator, with no zkgate
/// involved: the peer does what Curator is known to do (a held mutex blocks, a latch elects
/// one leader and hands over, discovery lists what was registered), so a later test that
/// puts zkgate beside it can trust what the peer reports.
@Suite(.enabled(if: CuratorPeers.connectString != nil && Curator.available && Kazoo.available,
                "needs the ensemble (scripts/test.sh), Curator and a JDK (scripts/setup.sh), and kazoo"))
struct CuratorPeerTests {
    @Test func aHeldMutexBlocksATryUntilReleased() throws {
        let root = CuratorPeers.root("mutex")
        defer { CuratorPeers.cleanup(root) }
        let lock = root + "/lock"

        let holder = try CuratorPeers.start(["mutex-hold", lock, "60000"])
        let held = CuratorPeers.fields(try holder.waitFor("acquired "))
        #expect(held.count == 3)
        let heldNode = held[1]
        let heldCzxid = try #require(Int(held[2]))
        // Curator's protected name: _c_<uuid>-lock-<10-digit sequence>.
        #expect(heldNode.wholeMatch(of: /_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-lock-[0-9]{10}/) != nil,
                "\(heldNode)")

        let blocked = try CuratorPeers.run(["mutex-try", lock, "1000"])
        #expect(blocked.contains("timeout"), "\(blocked)")
        #expect(!blocked.contains { $0.hasPrefix("acquired ") }, "\(blocked)")

        // Only the holder's node is left: the timed-out try deleted its own.
        let children = try CuratorPeers.kazoo("""
            for c in sorted(zk.get_children(root + '/lock')):
                d, st = zk.get(root + '/lock/' + c)
                print(json.dumps({"name": c, "czxid": st.czxid, "ephemeral": st.ephemeralOwner != 0}))
            """, root: root)
        let nodes = try children.split(separator: "\n").map { try CuratorPeers.object(String($0)) }
        #expect(nodes.count == 1, "\(children)")
        #expect(nodes.first?["name"] as? String == heldNode)
        #expect(intValue(nodes.first?["czxid"]) == heldCzxid)
        #expect(nodes.first?["ephemeral"] as? Bool == true)

        #expect(holder.stop() == .exited(0))
        #expect(holder.lines.contains("released"), "\(holder.output)")

        let second = try CuratorPeers.run(["mutex-try", lock, "10000"])
        let acquired = CuratorPeers.fields(try #require(second.first { $0.hasPrefix("acquired ") }, "\(second)"))
        #expect(acquired.count == 3)
        let secondCzxid = try #require(Int(acquired[2]))
        #expect(secondCzxid > heldCzxid)
        #expect(acquired[1] != heldNode)
        #expect(second.last == "released", "\(second)")
    }

    @Test func twoLatchesAgreeOnOneLeaderWhoHandsOverOnClose() throws {
        let root = CuratorPeers.root("latch")
        defer { CuratorPeers.cleanup(root) }
        let path = root + "/election"

        let alpha = try CuratorPeers.start(["latch", path, "alpha", "60000"])
        let beta = try CuratorPeers.start(["latch", path, "beta", "60000"])
        let peers = ["alpha": alpha, "beta": beta]

        // Each latch's latest view: "leader <self>" or "follower <leader>".
        func views() -> [String: String] {
            peers.compactMapValues { $0.last("leader ", "follower ") }
        }
        var leader: String?
        let agreed = eventually(timeout: 20, every: 0.05) {
            let now = views()
            guard let a = now["alpha"], let b = now["beta"] else { return false }
            switch (a, b) {
            case ("leader alpha", "follower alpha"): leader = "alpha"
            case ("follower beta", "leader beta"): leader = "beta"
            default: return false
            }
            return true
        }
        #expect(agreed, "views: \(views()); alpha: \(alpha.output); beta: \(beta.output)")
        let first = try #require(leader)
        let other = first == "alpha" ? "beta" : "alpha"
        #expect(try CuratorPeers.run(["latch-leader", path]) == ["leader \(first)"])

        #expect(peers[first]!.stop() == .exited(0))
        #expect(peers[first]!.lines.last == "closed", "\(peers[first]!.output)")
        try peers[other]!.waitFor("leader \(other)")
        #expect(try CuratorPeers.run(["latch-leader", path]) == ["leader \(other)"])

        #expect(peers[other]!.stop() == .exited(0))
        #expect(try CuratorPeers.run(["latch-leader", path]) == ["none"])
    }

    @Test func aRegisteredInstanceIsListedWithItsPayload() throws {
        let root = CuratorPeers.root("discovery")
        defer { CuratorPeers.cleanup(root) }
        let base = root + "/services"
        let payload = #"{"zone":"eu-1","weight":3,"tags":["a","b"],"nested":{"x":null,"ok":true},"text":"ünï ☃"}"#

        let instance = try CuratorPeers.start(
            ["discovery-register", base, "web", "web-1", "10.0.0.7", "8080", payload, "60000"])
        #expect(try instance.waitFor("registered ") == "registered \(base)/web/web-1")

        #expect(try CuratorPeers.run(["discovery-names", base]) == ["name web"])
        let listed = try CuratorPeers.run(["discovery-list", base, "web"])
        #expect(listed.count == 1, "\(listed)")
        let seen = try CuratorPeers.object(try #require(listed.first))
        #expect(seen["name"] as? String == "web")
        #expect(seen["id"] as? String == "web-1")
        #expect(seen["address"] as? String == "10.0.0.7")
        #expect(intValue(seen["port"]) == 8080)
        #expect(seen["serviceType"] as? String == "DYNAMIC")
        #expect(seen["enabled"] as? Bool == true)
        let expected = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? NSDictionary
        #expect((seen["payload"] as? NSDictionary) == expected, "\(seen)")

        // The node itself: ephemeral, JSON with the payload's Java type beside its fields.
        let raw = try CuratorPeers.object(try CuratorPeers.kazoo("""
            d, st = zk.get(root + '/services/web/web-1')
            print(json.dumps({"ephemeral": st.ephemeralOwner != 0, "json": json.loads(d)}))
            """, root: root))
        #expect(raw["ephemeral"] as? Bool == true)
        let stored = try #require(raw["json"] as? [String: Any])
        #expect(stored["id"] as? String == "web-1")
        #expect((stored["payload"] as? [String: Any])?["@class"] as? String == "java.util.LinkedHashMap", "\(stored)")

        #expect(instance.stop() == .exited(0))
        #expect(instance.lines.last == "unregistered", "\(instance.output)")
        #expect(try CuratorPeers.run(["discovery-list", base, "web"]).isEmpty)
    }
}

/// The ensemble's connect string and per-test roots for CuratorPeerTests.
enum CuratorPeers {
    static let connectString = EnsembleScript.connectString

    /// A fresh path of its own for each test, so parallel tests and runs never share znodes.
    static func root(_ name: String) -> String {
        "/curator-test-\(name)-\(UUID().uuidString.lowercased())"
    }

    static func start(_ arguments: [String]) throws -> Curator.Peer {
        try Curator.start(connectString: connectString!, arguments: arguments)
    }

    static func run(_ arguments: [String]) throws -> [String] {
        try Curator.run(connectString: connectString!, arguments: arguments)
    }

    static func kazoo(_ body: String, root: String) throws -> String {
        try Kazoo.run(connectString: connectString!, body, root: root)
    }

    /// Curator creates the root as a container, which the ensemble removes once empty; this
    /// removes whatever a failed test left.
    static func cleanup(_ root: String) {
        _ = try? kazoo("zk.delete(root, recursive=True) if zk.exists(root) else None", root: root)
    }

    static func fields(_ line: String) -> [String] {
        line.split(separator: " ").map(String.init)
    }

    static func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
    }
}
