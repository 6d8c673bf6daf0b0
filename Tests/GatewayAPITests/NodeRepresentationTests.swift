import Coordination
@testable import GatewayAPI
import JSON
import Testing

/// A node's stat as JSON: the field order, number forms and owner text clients read.
@Suite struct NodeRepresentationTests {
    static func stat(_ n: Int64, _ v: Int32, owner: Int64) -> Stat {
        Stat(czxid: n, mzxid: n, ctime: n, mtime: n, version: v, cversion: v, aversion: v,
             ephemeralOwner: owner, dataLength: v, numChildren: v, pzxid: n)
    }

    /// The expected text, from the standard library's own number printing.
    static func expected(_ n: Int64, _ v: Int32, owner: String, type: String) -> String {
        "{\"czxid\":\(n),\"mzxid\":\(n),\"pzxid\":\(n),\"ctime\":\(n),\"mtime\":\(n),"
            + "\"version\":\(v),\"cversion\":\(v),\"aversion\":\(v),\"ephemeralOwner\":\"\(owner)\","
            + "\"dataLength\":\(v),\"numChildren\":\(v),\"type\":\"\(type)\"}"
    }

    @Test(arguments: [
        (Int64(0), Int32(0)), (1, 1), (9, 9), (10, 10), (4_294_967_296, 65_536),
        (Int64.max, Int32.max), (Int64.min, Int32.min), (-1, -1),
    ])
    func numbersAsTheStandardLibraryPrintsThem(n: Int64, v: Int32) {
        var w = JSONWriter()
        NodeRepresentation.writeStat(Self.stat(n, v, owner: 0), into: &w)
        #expect(w.string == Self.expected(n, v, owner: "0000000000000000", type: "persistent"))
    }

    @Test func everyNodeTypeAndTheWidestStat() {
        let session: Int64 = 0x0123_4567_89AB_CDEF
        let cases: [(EphemeralType, String, String)] = [
            (.session(session), "0123456789abcdef", "ephemeral"),
            (.container, "0000000000000000", "container"),
            (.ttl(5_000), "0000000000000000", "ttl"),
            (.persistent, "0000000000000000", "persistent"),
        ]
        for (type, owner, name) in cases {
            // The widest numbers, so the stat fills as much of its buffer as it ever can.
            var w = JSONWriter()
            NodeRepresentation.writeStat(Self.stat(Int64.min, Int32.min, owner: type.ephemeralOwner), into: &w)
            #expect(w.string == Self.expected(Int64.min, Int32.min, owner: owner, type: name))
        }
        // A device session's owner shown instead of the wire's, as the ZooKeeper backend asks.
        var w = JSONWriter()
        NodeRepresentation.writeStat(Self.stat(7, 7, owner: 99), type: .session(-1), into: &w)
        #expect(w.string == Self.expected(7, 7, owner: "ffffffffffffffff", type: "ephemeral"))
    }

    @Test func aStatInsideAnObjectGetsItsComma() {
        var w = JSONWriter()
        w.beginObject()
        w.key("a"); w.number(1)
        w.key("stat"); NodeRepresentation.writeStat(Self.stat(1, 1, owner: 0), into: &w)
        w.key("b"); w.number(2)
        w.endObject()
        #expect(w.string == "{\"a\":1,\"stat\":" + Self.expected(1, 1, owner: "0000000000000000", type: "persistent") + ",\"b\":2}")
    }
}
