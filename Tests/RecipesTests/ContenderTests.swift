import Recipes
import Testing

@Suite("Contender names (Curator's layout)")
struct ContenderTests {
    @Test("a zkgate prefix carries its session and parses back after the sequence is appended")
    func roundTrip() throws {
        for session: Int64 in [0, 1, 0x0000_0001_0000_0006, Int64.max, -1, Int64.min] {
            let prefix = Contender.prefix(session: session, marker: "lock-", random: 0xBEEF)
            #expect(prefix.hasPrefix("_c_7a6b6761-7465-beef-"))
            #expect(prefix.hasSuffix("-lock-"))
            // Curator requires a 36-character uuid between `_c_` and the next `-`.
            #expect(prefix.utf8.count == 3 + 36 + 1 + 5)
            let contender = try #require(Contender(name: prefix + "0000000042", marker: "lock-"))
            #expect(contender.sequence == 42)
            #expect(contender.session == session)
        }
    }

    @Test("Curator's own contenders parse with no session")
    func curatorNames() throws {
        let name = "_c_2ba4a7c4-5d2e-4b0b-9a4c-3f8d7d2e1c11-lock-0000000007"
        let contender = try #require(Contender(name: name, marker: "lock-"))
        #expect(contender.sequence == 7)
        #expect(contender.session == nil)
        // Without protection, as InterProcessMutex writes when not protected.
        #expect(Contender(name: "lock-0000000003", marker: "lock-")?.sequence == 3)
        #expect(Contender(name: "_c_x-latch-0000000003", marker: "latch-")?.session == nil)
    }

    @Test("names that are not contenders are left out", arguments: [
        "", "lock-", "lock-abc", "config", "_c_uuid-latch-0000000001", "lock-12a", "lock-0000000001x",
    ])
    func notContenders(_ name: String) {
        #expect(Contender(name: name, marker: "lock-") == nil)
    }

    @Test("the queue orders by the sequence after the last marker, not by name")
    func order() {
        let names = [
            "_c_ffffffff-0000-0000-0000-000000000000-lock-0000000003",
            "_c_00000000-0000-0000-0000-000000000000-lock-0000000010",
            "other",
            "_c_aaaaaaaa-lock--0000-0000-000000000000-lock-0000000001",
        ]
        #expect(Contender.queue(names, marker: "lock-").map(\.sequence) == [1, 3, 10])
    }

    @Test("a sequence past 2^31 (ZooKeeper prints it negative) still parses")
    func negativeSequence() {
        #expect(Contender(name: "lock--2147483648", marker: "lock-")?.sequence == -2_147_483_648)
    }
}
