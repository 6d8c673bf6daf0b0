import Coordination
import Testing

@Suite("ZNodePath: navigation and identity")
struct ZNodePathNavigationTests {
    @Test(arguments: [
        ("/", nil, "", 0, true),
        ("/a", "/", "a", 1, false),
        ("/a/b", "/a", "b", 2, false),
        ("/a/b/é", "/a/b", "é", 3, false),
    ] as [(String, String?, String, Int, Bool)])
    func partsOfAPath(_ string: String, parent: String?, name: String, depth: Int, isRoot: Bool) {
        let p = path(string)
        #expect(p.parent?.string == parent)
        #expect(p.name == name)
        #expect(p.depth == depth)
        #expect(p.isRoot == isRoot)
    }

    @Test func aSequentialPrefixNamesTheNodeToBe() {
        let queue = prefix("/queue/")
        #expect(queue.parent == path("/queue"))
        #expect(queue.name == "")
        #expect(queue.depth == 2)
        let jobs = prefix("/queue/job-")
        #expect(jobs.parent == path("/queue"))
        #expect(jobs.name == "job-")
    }

    @Test func appendingBuildsChildPaths() throws {
        #expect(try ZNodePath.root.appending("a") == path("/a"))
        #expect(try path("/a").appending("b c") == path("/a/b c"))
    }

    @Test(arguments: [
        ("/a", "", "/a/", "path must not end with /"),
        ("/a", "b/c", "/a/b/c", "name \"b/c\" contains /"),
        ("/a", ".", "/a/.", "relative segment \".\" at index 3"),
        ("/", "..", "/..", "relative segment \"..\" at index 1"),
        ("/a", "x\u{7F}", "/a/x\u{7F}", "invalid character U+007F at index 4"),
    ])
    func appendingRejectsBadNames(_ base: String, name: String, joined: String, reason: String) {
        #expect(throws: CoordinationError.invalidPath(joined, reason: reason)) {
            try path(base).appending(name)
        }
    }

    @Test func appendingToASequentialPrefixIsRejected() {
        #expect(throws: CoordinationError.invalidPath("/q//x", reason: "/q/ is a sequential prefix, not a node path")) {
            try prefix("/q/").appending("x")
        }
    }

    @Test func ancestry() {
        #expect(ZNodePath.root.isAncestor(of: path("/a")))
        #expect(ZNodePath.root.isAncestor(of: path("/a/b")))
        #expect(!ZNodePath.root.isAncestor(of: .root))
        #expect(path("/a").isAncestor(of: path("/a/b")))
        #expect(path("/a").isAncestor(of: path("/a/b/c")))
        #expect(!path("/a").isAncestor(of: path("/a")))
        #expect(!path("/a").isAncestor(of: path("/ab")))
        #expect(!path("/a/b").isAncestor(of: path("/a")))
        #expect(!path("/a").isAncestor(of: path("/b/a")))
    }

    @Test func canonicallyEquivalentNamesAreDistinct() {
        let composed = path("/\u{E9}")
        let decomposed = path("/e\u{301}")
        #expect(composed.string == decomposed.string)  // Swift's own String equality merges them
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
    }

    @Test func orderIsByteOrder() {
        let sorted = ["/a0", "/é", "/B", "/a/b", "/a", "/e\u{301}", "/"].map(path).sorted().map(\.string)
        #expect(sorted.map { Array($0.utf8) } == ["/", "/B", "/a", "/a/b", "/a0", "/e\u{301}", "/é"].map { Array($0.utf8) })
    }
}
