import JSON
import Testing

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test(arguments: [
        ("plain", "\"plain\""),
        ("say \"hi\"", #""say \"hi\"""#),
        (#"back\slash"#, #""back\\slash""#),
        ("a\nb\rc\td", #""a\nb\rc\td""#),
        ("\u{0}\u{1}\u{8}\u{C}\u{1F}", #""\u0000\u0001\u0008\u000c\u001f""#),
        // DEL and everything from U+0080 up may appear raw (RFC 8259 §7).
        ("\u{7F}", "\"\u{7F}\""),
        ("caf\u{E9} \u{1F600} \u{2028}", "\"caf\u{E9} \u{1F600} \u{2028}\""),
        ("", "\"\""),
        // Escapes at either end and back to back, between unescaped runs.
        ("\"", #""\"""#),
        ("\n\"x\\\\y\t", #""\n\"x\\\\y\t""#),
    ])
    func escaping(value: String, json: String) {
        #expect(JSONWriter.quoted(value) == json)
    }

    @Test func nestedContainersHaveCommasExactlyBetweenMembers() {
        var w = JSONWriter()
        w.beginObject()
        w.key("a"); w.number(1)
        w.key("b"); w.beginArray()
        w.number(Int64(-2)); w.string("x"); w.bool(true); w.bool(false); w.null()
        w.beginObject(); w.endObject()
        w.beginArray(); w.endArray()
        w.beginObject(); w.key("k"); w.raw("[1,2]"); w.endObject()
        w.endArray()
        w.key("c"); w.beginObject(); w.key("d"); w.beginObject(); w.endObject(); w.key("e"); w.null(); w.endObject()
        w.key(escaping: "q\"k"); w.string("v")
        w.endObject()
        #expect(w.string == #"{"a":1,"b":[-2,"x",true,false,null,{},[],{"k":[1,2]}],"c":{"d":{},"e":null},"q\"k":"v"}"#)
    }

    @Test func topLevelArrayAndEmptyContainers() {
        var w = JSONWriter()
        w.beginArray()
        w.beginArray(); w.endArray()
        w.string("")
        w.endArray()
        #expect(w.string == #"[[],""]"#)
        var e = JSONWriter()
        e.beginObject(); e.endObject()
        #expect(e.bytes == Array("{}".utf8))
    }

    @Test func extremeNumbers() {
        var w = JSONWriter()
        w.beginArray(); w.number(Int.min); w.number(Int64.max); w.number(0); w.endArray()
        #expect(w.string == "[-9223372036854775808,9223372036854775807,0]")
    }

    @Test(arguments: [Int64(9), 10, -1, -10, 99, 100, 1_000_000, 4_294_967_296, Int64(Int32.min)])
    func decimalsAroundDigitBoundaries(value: Int64) {
        var w = JSONWriter()
        w.number(value)
        #expect(w.string == String(value))
    }

    /// Commas are tracked in a 64-bit stack, then in an array: both sides of the boundary.
    @Test(arguments: [63, 64, 65, 130])
    func deepNestingKeepsCommasRight(depth: Int) {
        var w = JSONWriter()
        var expected = ""
        for _ in 0..<depth { w.beginArray(); w.number(1); expected += "[1," }
        w.beginObject(); w.key("k"); w.number(2); w.key("l"); w.null(); w.endObject()
        expected += #"{"k":2,"l":null}"#
        for _ in 0..<depth { w.number(3); w.endArray(); expected += ",3]" }
        #expect(w.string == expected)
    }

    @Test func validUTF8BytesAreWrittenAsTheirString() {
        let text = "a\"b\\c\u{1}d caf\u{E9}"
        var w = JSONWriter()
        w.beginArray(); w.string(utf8: Array(text.utf8)); w.string(utf8: []); w.endArray()
        #expect(w.string == #"["a\"b\\c\u0001d caf"# + "\u{E9}" + #"",""]"#)
    }
}
