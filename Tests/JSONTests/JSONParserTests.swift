import JSON
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test func scalars() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse(" true ") == .bool(true))
        #expect(try JSONParser.parse("false") == .bool(false))
        #expect(try JSONParser.parse("\"a\"") == .string("a"))
        #expect(try JSONParser.parse("-0") == .number("-0"))
    }

    @Test(arguments: ["0", "-1", "123", "1.5", "-0.25", "1e10", "1E+2", "2.5e-3", "12345678901234567890123"])
    func numbersKeepTheirText(text: String) throws {
        let value = try JSONParser.parse(text)
        #expect(value == .number(text))
        #expect(value.jsonText == text)
    }

    @Test func integerAccessors() throws {
        #expect(try JSONParser.parse("9223372036854775807").int64Value == Int64.max)
        #expect(try JSONParser.parse("9223372036854775808").int64Value == nil)
        #expect(try JSONParser.parse("1.0").int64Value == nil)
        #expect(try JSONParser.parse("1.5").doubleValue == 1.5)
    }

    @Test(arguments: [
        ("01", 1, "a number must not have leading zeros"),
        ("1.", 2, "a fraction needs digits"),
        ("1e", 2, "an exponent needs digits"),
        ("-", 1, "a number needs digits"),
        ("+1", 0, "unexpected character"),
        (".5", 0, "unexpected character"),
        ("tru", 0, "invalid literal"),
        ("nul", 0, "invalid literal"),
        ("[1,]", 3, "unexpected character"),
        ("[1 2]", 3, "expected ',' or ']' in an array"),
        ("{\"a\":1,}", 7, "expected a member name in quotes"),
        ("{\"a\" 1}", 5, "expected ':' after a member name"),
        ("{\"a\":1 \"b\":2}", 7, "expected ',' or '}' in an object"),
        ("{\"a\":1,\"a\":2}", 7, "duplicate member name \"a\""),
        ("\"abc", 4, "unterminated string"),
        ("\"a\u{01}\"", 2, "control character in a string"),
        ("\"\\x\"", 2, "invalid escape"),
        ("\"\\u12\"", 2, "truncated \\u escape"),
        ("\"\\u12G4\"", 5, "invalid hex digit in \\u escape"),
        ("\"\\uDC00\"", 6, "lone low surrogate"),
        ("\"\\uD800x\"", 6, "a high surrogate must be followed by a low one"),
        ("\"\\uD800\\u0041\"", 12, "invalid low surrogate"),
        ("1 2", 2, "unexpected data after the JSON value"),
        ("", 0, "unexpected end of input"),
        ("[", 1, "unexpected end of input"),
        ("{\"a\":", 5, "unexpected end of input"),
        ("// c\n1", 0, "unexpected character"),
    ])
    func rejects(text: String, offset: Int, reason: String) {
        #expect(throws: JSONError(offset: offset, reason: reason)) { try JSONParser.parse(text) }
    }

    @Test func invalidUTF8InAStringIsRejected() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONError(offset: 4, reason: "a string is not valid UTF-8")) { try JSONParser.parse(bytes) }
    }

    /// Invalid UTF-8 is refused whether the string has escapes or not, in values and names:
    /// truncated and stray continuation bytes, overlong forms, UTF-16 surrogates, past U+10FFFF.
    @Test(arguments: [[0xC3], [0x80], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
                      [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFF]] as [[UInt8]])
    func invalidUTF8IsRejectedWithOrWithoutEscapes(bad: [UInt8]) {
        for prefix in [Array("ok ".utf8), Array(#"\n é "#.utf8)] {
            let string = [0x22] + prefix + bad + [0x22]
            #expect(throws: JSONError(offset: string.count, reason: "a string is not valid UTF-8")) { try JSONParser.parse(string) }
            let name = Array("{".utf8) + string + Array(":1}".utf8)
            #expect(throws: JSONError(offset: string.count + 1, reason: "a string is not valid UTF-8")) { try JSONParser.parse(name) }
        }
    }

    @Test func escapesAndUnicode() throws {
        let value = try JSONParser.parse(#""q\" b\\ s\/ \b\f\n\r\t \u00e9 \uD83D\uDE00 é""#)
        #expect(value == .string("q\" b\\ s/ \u{08}\u{0C}\n\r\t é 😀 é"))
    }

    @Test func nestingLimit() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        #expect(throws: JSONError.limitExceeded(.depth, max: JSONParser.maxDepth, offset: JSONParser.maxDepth)) {
            try JSONParser.parse(deep)
        }
    }

    @Test func objectsKeepMemberOrder() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":[true,null,{"k":"v"}],"m":{}}"#)
        let object = try #require(value.objectValue)
        #expect(object.names == ["z", "a", "m"])
        #expect(object["a"] == .array([.bool(true), .null, .object(JSONObject([("k", .string("v"))]))]))
        #expect(value.jsonText == #"{"z":1,"a":[true,null,{"k":"v"}],"m":{}}"#)
    }

    @Test func roundTripOfEscapedText() throws {
        let original = JSONValue.object(JSONObject([("s", .string("line\nquote\" tab\t \u{01} é 😀"))]))
        #expect(try JSONParser.parse(original.serialized()) == original)
    }

    @Test func objectSubscriptSetAndRemove() {
        var object = JSONObject([("a", .null), ("b", JSONValue(1))])
        object["a"] = nil
        object["c"] = .bool(false)
        object["b"] = JSONValue(2)
        #expect(object.names == ["b", "c"])
        #expect(object["b"] == .number("2"))
    }
}
