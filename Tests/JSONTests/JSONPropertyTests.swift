import Foundation
import JSON
import TestSupport
import Testing

/// The parser against Foundation's JSONSerialization, an independent reader, on random
/// documents: every document both read gives the same value, and every mutation of one that
/// our parser accepts Foundation accepts too (ours is the stricter: duplicate names).
/// One test at a time: they parse megabytes, and suites that time session expiry may run
/// beside them on a small machine.
@Suite("JSON parser against Foundation", .serialized)
struct JSONPropertyTests {

    static let alphabet: [String] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "€",
                                     "😀", "\u{FFFD}", "\u{2028}", "\u{10FFFF}"]

    static func string(_ g: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...8, using: &g)).map { _ in alphabet.randomElement(using: &g)! }.joined()
    }

    static func number(_ g: inout SeededGenerator) -> String {
        switch Int.random(in: 0...3, using: &g) {
        case 0: String(Int.random(in: -1_000_000...1_000_000, using: &g))
        case 1: "\(Int.random(in: -999...999, using: &g)).\(Int.random(in: 0...999, using: &g))"
        case 2: "\(Int.random(in: 1...9, using: &g))e\(Int.random(in: -5...5, using: &g))"
        default: "0"
        }
    }

    /// A random value of at most about `budget` values.
    static func value(_ g: inout SeededGenerator, depth: Int, budget: inout Int) -> JSONValue {
        budget -= 1
        let kinds = depth >= 5 || budget <= 0 ? 4 : 6
        switch Int.random(in: 0..<kinds, using: &g) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &g))
        case 2: return .number(number(&g))
        case 3: return .string(string(&g))
        case 4: return .array((0..<Int.random(in: 0...6, using: &g)).map { _ in value(&g, depth: depth + 1, budget: &budget) })
        default:
            // Up to 40 members, so that objects cross the size where duplicates are found by a set.
            let count = Int.random(in: 0...(Bool.random(using: &g) ? 4 : 40), using: &g)
            var members: [(String, JSONValue)] = []
            var names = Set<String>()
            for k in 0..<count {
                // ASCII names with an index, unique byte for byte (Swift compares strings by
                // canonical equivalence, Foundation's dictionaries need not).
                let name = "m\(k)" + string(&g).filter { $0.isASCII }
                if names.insert(name).inserted { members.append((name, value(&g, depth: depth + 1, budget: &budget))) }
            }
            return .object(JSONObject(members))
        }
    }

    /// A random document of up to about 300 values.
    static func document(_ g: inout SeededGenerator) -> JSONValue {
        var budget = Int.random(in: 1...300, using: &g)
        return value(&g, depth: 0, budget: &budget)
    }

    /// Whether every number is within Double's range (Foundation refuses the others).
    static func finite(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let text): Double(text)?.isFinite ?? false
        case .array(let elements): elements.allSatisfy(finite)
        case .object(let object): object.allSatisfy { finite($0.value) }
        default: true
        }
    }

    /// Whether Foundation's reading `theirs` is the same document as `ours`.
    static func same(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case .bool(let b): return (theirs as? Bool) == b
        case .number(let text):
            guard let n = theirs as? NSNumber, let d = Double(text) else { return false }
            return n.doubleValue == d || abs(n.doubleValue - d) <= abs(d) * 1e-15
        case .string(let s): return (theirs as? String).map { Array($0.unicodeScalars) == Array(s.unicodeScalars) } ?? false
        case .array(let elements):
            guard let array = theirs as? [Any], array.count == elements.count else { return false }
            return zip(elements, array).allSatisfy { same($0, $1) }
        case .object(let object):
            guard let dictionary = theirs as? [String: Any], dictionary.count == object.count else { return false }
            return object.allSatisfy { member in dictionary[member.name].map { same(member.value, $0) } ?? false }
        }
    }

    static func foundation(_ bytes: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// Random blanks after structural characters, as other writers put them.
    static func spaced(_ bytes: [UInt8], _ g: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        var inString = false
        var escaped = false
        for b in bytes {
            out.append(b)
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if Array("{}[],:".utf8).contains(b), Int.random(in: 0..<3, using: &g) == 0 {
                out.append([0x20, 0x0A, 0x0D, 0x09].randomElement(using: &g)!)
            }
        }
        return out
    }

    @Test(arguments: 0..<4)
    func randomDocumentsReadAlike(seed: UInt64) throws {
        var g = SeededGenerator(seed: seed &* 7919)
        for _ in 0..<100 {
            let document = Self.document(&g)
            let bytes = Self.spaced(document.serialized(), &g)
            let ours = try JSONParser.parse(bytes)
            #expect(ours == document, "\(String(decoding: bytes, as: UTF8.self))")
            let theirs = try #require(Self.foundation(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            #expect(Self.same(ours, theirs), "\(String(decoding: bytes, as: UTF8.self))")
            #expect(try JSONParser.parse(ours.serialized()) == ours)
        }
    }

    /// Mutated documents: whatever our parser accepts, Foundation accepts and reads alike.
    @Test(arguments: 0..<4)
    func mutatedDocumentsAcceptedByUsAreJSON(seed: UInt64) throws {
        var g = SeededGenerator(seed: 0xC0FFEE &+ seed)
        let noise: [UInt8] = Array("{}[]\",:\\ 0-1.eE+tfnu\u{01}".utf8) + [0xC3, 0xFF]
        var accepted = 0
        for _ in 0..<400 {
            var bytes = Self.document(&g).serialized()
            for _ in 0..<Int.random(in: 1...3, using: &g) {
                let at = Int.random(in: 0...bytes.count, using: &g)
                switch Int.random(in: 0..<3, using: &g) {
                case 0 where at < bytes.count: bytes.remove(at: at)
                case 1 where at < bytes.count: bytes[at] = noise.randomElement(using: &g)!
                default: bytes.insert(noise.randomElement(using: &g)!, at: at)
                }
            }
            guard let ours = try? JSONParser.parse(bytes), Self.finite(ours) else { continue }
            accepted += 1
            let theirs = Self.foundation(bytes)
            #expect(theirs != nil, "we accept what Foundation refuses: \(String(decoding: bytes, as: UTF8.self))")
            if let theirs { #expect(Self.same(ours, theirs), "\(String(decoding: bytes, as: UTF8.self))") }
        }
        #expect(accepted > 0)
    }
}
