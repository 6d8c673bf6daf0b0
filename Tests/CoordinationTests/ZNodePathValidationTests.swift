import Coordination
import Testing

@Suite("ZNodePath: validation")
struct ZNodePathValidationTests {
    @Test(arguments: [
        "/", "/a", "/a/b/c", "/a.b", "/.a", "/a.", "/...", "/a/..b", "/a b", "/-", "/0000000001",
        "/é", "/e\u{301}", "/\u{20}", "/\u{A0}", "/\u{7E}", "/\u{D7FF}", "/\u{F900}", "/\u{FFEF}",
        "/zookeeper", "/" + String(repeating: "a", count: 4095),
    ])
    func validPathsAreAccepted(_ string: String) throws {
        let validated = try ZNodePath(validating: string)
        #expect(validated.string == string)
        #expect(!validated.isSequentialPrefix)
    }

    @Test(arguments: [
        ("", "path is empty"),
        ("a", "path must start with /, not \"a\" at index 0"),
        (" /a", "path must start with /, not U+0020 at index 0"),
        ("\u{1}/a", "path must start with /, not U+0001 at index 0"),
        ("/a/", "path must not end with /"),
        ("//", "path must not end with /"),
        ("//a", "empty segment at index 1"),
        ("/a//b", "empty segment at index 3"),
        ("/.", "relative segment \".\" at index 1"),
        ("/..", "relative segment \"..\" at index 1"),
        ("/a/./b", "relative segment \".\" at index 3"),
        ("/a/../b", "relative segment \"..\" at index 3"),
        ("/a\u{0}b", "NUL character (U+0000) at index 2"),
        ("/\u{1}", "invalid character U+0001 at index 1"),
        ("/ab\u{1F}", "invalid character U+001F at index 3"),
        ("/\u{7F}", "invalid character U+007F at index 1"),
        ("/\u{80}", "invalid character U+0080 at index 1"),
        ("/\u{9F}", "invalid character U+009F at index 1"),
        ("/\u{E000}", "invalid character U+E000 at index 1"),
        ("/\u{F8FF}", "invalid character U+F8FF at index 1"),
        ("/\u{FFF0}", "invalid character U+FFF0 at index 1"),
        ("/\u{FFFD}", "invalid character U+FFFD at index 1"),
        ("/\u{FFFF}", "invalid character U+FFFF at index 1"),
        (
            "/a😀",
            "character U+1F600 at index 2 is outside the Basic Multilingual Plane "
                + "(ZooKeeper stores it as CESU-8, which does not round-trip)"
        ),
        (
            "/\u{10000}",
            "character U+10000 at index 1 is outside the Basic Multilingual Plane "
                + "(ZooKeeper stores it as CESU-8, which does not round-trip)"
        ),
        // Indexes count Unicode scalars, not bytes.
        ("/éé\u{1}", "invalid character U+0001 at index 3"),
        // The first problem from the left wins, as in ZooKeeper's scan.
        ("/a//\u{1}", "empty segment at index 3"),
        ("/\u{1}//", "path must not end with /"),
        ("/" + String(repeating: "a", count: 4096), "path is 4097 bytes, over the limit of 4096"),
        ("/" + String(repeating: "é", count: 2048), "path is 4097 bytes, over the limit of 4096"),
    ])
    func invalidPathsNameTheProblem(_ string: String, reason: String) {
        #expect(throws: CoordinationError.invalidPath(string, reason: reason)) {
            try ZNodePath(validating: string)
        }
    }

    @Test(arguments: [
        ("/", false), ("/a", false), ("/a/", true), ("/a/.", true), ("/a/..", true), ("/a/job-", false),
        ("/.", true),
    ])
    func sequentialPrefixesMayEndOpen(_ string: String, prefixOnly: Bool) throws {
        let validated = try ZNodePath(validating: string, sequential: true)
        #expect(validated.isSequentialPrefix == prefixOnly)
        #expect(validated.string == string)
    }

    @Test(arguments: [
        ("/a//", "empty segment at index 3"),
        ("/a/./", "relative segment \".\" at index 3"),
        ("a/", "path must start with /, not \"a\" at index 0"),
        ("/\u{1}/", "invalid character U+0001 at index 1"),
    ])
    func sequentialPrefixesFollowTheOtherRules(_ string: String, reason: String) {
        #expect(throws: CoordinationError.invalidPath(string, reason: reason)) {
            try ZNodePath(validating: string, sequential: true)
        }
    }

    @Test func invalidPathErrorsAreBadArguments() throws {
        let error = try #require(throws: CoordinationError.self) { try ZNodePath(validating: "/a/") }
        #expect(error.code == -8)
        #expect(error.slug == "invalid-path")
        #expect(error.message == "invalid path \"/a/\": path must not end with /")
    }
}
