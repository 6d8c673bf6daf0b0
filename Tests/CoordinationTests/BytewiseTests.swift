@testable import Coordination
import Testing

/// Paths compare by their UTF-8 bytes (ZooKeeper's order), whatever their length or storage.
struct BytewiseTests {
    // Small (inline) strings, heap strings over 15 bytes, and both mixed.
    static let long = "/zk-gateway-4711-r1-c16/n"

    @Test(arguments: [
        ("/a", "/a", false, false),
        ("/a", "/b", true, false),
        ("/b", "/a", false, true),
        ("/a", "/a0", true, false),
        ("", "/", true, false),
        ("", "", false, false),
        ("/é", "/e\u{301}", false, true),        // canonically equivalent, distinct bytes
        ("/e\u{301}", "/é", true, false),        // 0x65 before 0xC3
        ("/B", "/a", true, false),
        (long + "1", long + "1", false, false),
        (long + "1", long + "2", true, false),
        (long, long + "0", true, false),
        ("/zk", long, true, false),
        (long + "\u{FF}", long + "\u{100}", true, false),
    ])
    func orderAndEquality(a: String, b: String, less: Bool, greater: Bool) {
        #expect(Bytewise.less(a, b) == less)
        #expect(Bytewise.less(b, a) == greater)
        #expect(Bytewise.equal(a, b) == (!less && !greater))
        #expect(Bytewise.equal(a, b) == (Array(a.utf8) == Array(b.utf8)))
        #expect(Bytewise.less(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8))
    }

    @Test(arguments: [
        ("/a/b", "/a", true),
        ("/a", "/a", false),
        ("/ab", "/a", false),
        ("/a/", "/a", true),
        ("/b/c", "/a", false),
        ("/", "", true),
        ("", "", false),
        (long + "/x", long, true),
        (long + "x/y", long, false),
        ("/é/x", "/é", true),
        ("/e\u{301}/x", "/é", false),
    ])
    func prefixFollowedBySlash(s: String, prefix: String, expected: Bool) {
        #expect(Bytewise.hasPrefix(s, prefix, followedBy: UInt8(ascii: "/")) == expected)
        #expect(expected == (Array(s.utf8).starts(with: Array(prefix.utf8) + [UInt8(ascii: "/")])))
    }
}
