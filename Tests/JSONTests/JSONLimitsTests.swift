import JSON
import Testing

/// Each limit of `JSONParser.Limits` at its boundary: exactly the limit parses, one more
/// throws `.limitExceeded` naming it, at the byte where it was exceeded.
/// One test at a time: they parse megabytes, and suites that time session expiry may run
/// beside them on a small machine.
@Suite("JSON parser limits", .serialized)
struct JSONLimitsTests {
    static let defaults = JSONParser.Limits.default

    @Test func defaultsAreDocumented() {
        #expect(Self.defaults == JSONParser.Limits(maxDepth: 64, maxMembers: 10_000, maxElements: 100_000, maxStringBytes: 4_194_304))
        #expect(JSONParser.maxDepth == 64)
        for limit in JSONLimit.allCases { #expect(Self.defaults[limit] > 0) }
    }

    /// `{"k0":0,...}` with `count` members; the offset where member `index` begins.
    static func object(members count: Int) -> String {
        "{" + (0..<count).map { "\"k\($0)\":0" }.joined(separator: ",") + "}"
    }

    static func offset(ofMember index: Int) -> Int {
        1 + (0..<index).reduce(0) { $0 + "\"k\($1)\":0,".utf8.count }
    }

    @Test func depthOfArraysAndObjects() throws {
        let limits = JSONParser.Limits(maxDepth: 3)
        #expect(try JSONParser.parse("[[[]]]", limits: limits) == .array([.array([.array([])])]))
        #expect(throws: JSONError.limitExceeded(.depth, max: 3, offset: 3)) { try JSONParser.parse("[[[[]]]]", limits: limits) }
        #expect(throws: Never.self) { try JSONParser.parse(#"{"a":{"b":{"c":1}}}"#, limits: limits) }
        #expect(throws: JSONError.limitExceeded(.depth, max: 3, offset: 15)) {
            try JSONParser.parse(#"{"a":{"b":{"c":{}}}}"#, limits: limits)
        }
        // Scalars do not nest.
        #expect(throws: Never.self) { try JSONParser.parse(#"[[["x",1,true,null]]]"#, limits: limits) }
    }

    @Test func defaultDepth() throws {
        let objects = String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 64)
        #expect(throws: Never.self) { try JSONParser.parse(objects) }
        let deeper = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        let error = try #require(throws: JSONError.self) { try JSONParser.parse(deeper) }
        #expect(error == .limitExceeded(.depth, max: 64, offset: 64 * 5))
        #expect(error.limitExceeded?.limit == .depth)
        #expect(error.description == "nesting deeper than maxDepth (64) at byte 320")
    }

    @Test(arguments: [1, 3, 15, 16, 17, 40])
    func membersOfOneObject(max: Int) throws {
        let limits = JSONParser.Limits(maxMembers: max)
        let ok = try JSONParser.parse(Self.object(members: max), limits: limits)
        #expect(ok.objectValue?.count == max)
        #expect(throws: JSONError.limitExceeded(.members, max: max, offset: Self.offset(ofMember: max))) {
            try JSONParser.parse(Self.object(members: max + 1), limits: limits)
        }
        // The limit is per object: two objects of `max` members each are fine.
        let two = "[" + Self.object(members: max) + "," + Self.object(members: max) + "]"
        #expect(throws: Never.self) { try JSONParser.parse(two, limits: limits) }
    }

    @Test func defaultMembers() throws {
        #expect(try JSONParser.parse(Self.object(members: 10_000)).objectValue?.count == 10_000)
        #expect(throws: JSONError.limitExceeded(.members, max: 10_000, offset: Self.offset(ofMember: 10_000))) {
            try JSONParser.parse(Self.object(members: 10_001))
        }
    }

    @Test func elementsOfTheDocument() throws {
        let limits = JSONParser.Limits(maxElements: 5)
        // The array and its four elements are five values.
        #expect(throws: Never.self) { try JSONParser.parse("[1,2,3,4]", limits: limits) }
        #expect(throws: JSONError.limitExceeded(.elements, max: 5, offset: 9)) { try JSONParser.parse("[1,2,3,4,5]", limits: limits) }
        // Names are not values; nested containers are.
        #expect(throws: Never.self) { try JSONParser.parse(#"{"a":[],"b":{},"c":"x","d":null}"#, limits: limits) }
        #expect(throws: JSONError.limitExceeded(.elements, max: 5, offset: 29)) {
            try JSONParser.parse(#"{"a":[[]],"b":{},"c":"x","d":null}"#, limits: limits)
        }
        #expect(throws: Never.self) { try JSONParser.parse("7", limits: JSONParser.Limits(maxElements: 1)) }
    }

    @Test func defaultElements() throws {
        let ok = "[" + Array(repeating: "0", count: 99_999).joined(separator: ",") + "]"
        #expect(try JSONParser.parse(ok).arrayValue?.count == 99_999)
        let over = "[" + Array(repeating: "0", count: 100_000).joined(separator: ",") + "]"
        #expect(throws: JSONError.limitExceeded(.elements, max: 100_000, offset: 1 + 2 * 99_999)) { try JSONParser.parse(over) }
    }

    @Test func stringBytesCountTheUnescapedUTF8() throws {
        let limits = JSONParser.Limits(maxStringBytes: 4)
        #expect(try JSONParser.parse(#""abcd""#, limits: limits) == .string("abcd"))
        #expect(throws: JSONError.limitExceeded(.stringBytes, max: 4, offset: 0)) { try JSONParser.parse(#""abcde""#, limits: limits) }
        // é is two bytes, written raw or escaped; \n is one.
        #expect(try JSONParser.parse(#""éé""#, limits: limits) == .string("éé"))
        #expect(try JSONParser.parse(#""\u00e9\u00E9""#, limits: limits) == .string("éé"))
        #expect(try JSONParser.parse(#""\n\n\n\n""#, limits: limits) == .string("\n\n\n\n"))
        #expect(throws: JSONError.limitExceeded(.stringBytes, max: 4, offset: 0)) { try JSONParser.parse(#""ééa""#, limits: limits) }
        #expect(throws: JSONError.limitExceeded(.stringBytes, max: 4, offset: 0)) {
            try JSONParser.parse(#""\u00e9\u00e9a""#, limits: limits)
        }
        #expect(throws: JSONError.limitExceeded(.stringBytes, max: 4, offset: 0)) { try JSONParser.parse(#""\n\n\n\n\n""#, limits: limits) }
        // Member names too.
        #expect(throws: Never.self) { try JSONParser.parse(#"{"abcd":"wxyz"}"#, limits: limits) }
        #expect(throws: JSONError.limitExceeded(.stringBytes, max: 4, offset: 1)) { try JSONParser.parse(#"{"abcde":1}"#, limits: limits) }
    }

    @Test func defaultStringBytes() throws {
        let max = 4 << 20
        let ok = "\"" + String(repeating: "a", count: max) + "\""
        #expect(try JSONParser.parse(ok).stringValue?.utf8.count == max)
        let escaped = "\"" + String(repeating: "a", count: max - 2) + #"\u00e9""#
        #expect(try JSONParser.parse(escaped).stringValue?.utf8.count == max)
        #expect(throws: JSONError.limitExceeded(.stringBytes, max: max, offset: 0)) {
            try JSONParser.parse("\"" + String(repeating: "a", count: max + 1) + "\"")
        }
        #expect(throws: JSONError.limitExceeded(.stringBytes, max: max, offset: 0)) {
            try JSONParser.parse("\"" + String(repeating: "a", count: max - 1) + #"\u00e9""#)
        }
    }

    @Test func limitErrorsAreNotSyntaxErrors() throws {
        let syntax = try #require(throws: JSONError.self) { try JSONParser.parse("[1,]") }
        #expect(syntax.kind == .syntax)
        #expect(syntax.limitExceeded == nil)
        let limit = try #require(throws: JSONError.self) { try JSONParser.parse("[1,2]", limits: .init(maxElements: 2)) }
        #expect(limit.kind == .limitExceeded(.elements, max: 2))
        #expect(limit.reason == "more values than maxElements (2)")
    }

    /// Duplicate names are found whether the object is still scanned (under 16 members) or
    /// has switched to a set of names, including at the switch, and after unescaping.
    @Test(arguments: [1, 2, 15, 16, 17, 100, 9_999])
    func duplicateNamesInSmallAndLargeObjects(before: Int) throws {
        for duplicateOf in Set([0, before / 2, before - 1]) {
            let text = "{" + (0..<before).map { "\"k\($0)\":0," }.joined() + "\"k\(duplicateOf)\":1}"
            #expect(throws: JSONError(offset: Self.offset(ofMember: before), reason: "duplicate member name \"k\(duplicateOf)\"")) {
                try JSONParser.parse(text)
            }
            let escaped = "{" + (0..<before).map { "\"k\($0)\":0," }.joined() + "\"\\u006b\(duplicateOf)\":1}"
            #expect(throws: JSONError(offset: Self.offset(ofMember: before), reason: "duplicate member name \"k\(duplicateOf)\"")) {
                try JSONParser.parse(escaped)
            }
        }
        // Without the duplicate, the object is whole and in order.
        let fine = try JSONParser.parse(Self.object(members: before + 1))
        #expect(fine.objectValue?.names == (0...before).map { "k\($0)" })
    }

    /// A document far past the defaults parses under limits raised for it: the parser itself
    /// is not quadratic in the members of an object (this took minutes when it was).
    @Test func manyMembersUnderRaisedLimits() throws {
        let count = 100_000
        let limits = JSONParser.Limits(maxMembers: count, maxElements: count + 1)
        let value = try JSONParser.parse(Self.object(members: count), limits: limits)
        let object = try #require(value.objectValue)
        #expect(object.count == count)
        #expect(object.names.last == "k99999")
        #expect(object["k99998"] == .number("0"))
        let duplicate = String(Self.object(members: count).dropLast()) + #","k12345":1}"#
        #expect(throws: JSONError(offset: Self.offset(ofMember: count), reason: "duplicate member name \"k12345\"")) {
            try JSONParser.parse(duplicate, limits: JSONParser.Limits(maxMembers: count + 1, maxElements: count + 2))
        }
    }

    /// JSONObject's initializer keeps the first place of a name given twice and its last value,
    /// below and above the size where it switches to a table.
    @Test(arguments: [3, 40])
    func objectInitializerReplacesInPlace(count: Int) {
        var members = (0..<count).map { ("n\($0)", JSONValue($0)) }
        members.append(("n1", .bool(true)))
        let object = JSONObject(members)
        #expect(object.count == count)
        #expect(object.names == (0..<count).map { "n\($0)" })
        #expect(object["n1"] == .bool(true))
    }
}
