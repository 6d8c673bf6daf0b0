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
        w.key("q\"k"); w.string("v")
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
}
