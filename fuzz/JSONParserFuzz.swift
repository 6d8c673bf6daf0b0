// libFuzzer harness for JSONParser, built by scripts/fuzz.sh together with
// Sources/JSON/*.swift as one module (JSON), so it needs no import.
//
// Each input is parsed twice: under small limits and under limits too large to matter. Any
// broken invariant traps, which libFuzzer reports as a crash:
// - a document accepted has no duplicate names, respects the limits it was read under, and
//   written back by JSONWriter reads back as the same value;
// - a document accepted under the small limits is accepted alike under the large ones;
// - a document over a small limit really exceeds it (or breaks the grammar later on);
// - a syntax error is the same whatever the limits, and its offset is within the input.

/// Small limits, so that inputs of a few hundred bytes reach every limit; members above 16,
/// where objects switch from scanning their names to a set of them.
private let small = JSONParser.Limits(maxDepth: 6, maxMembers: 20, maxElements: 60, maxStringBytes: 24)
private let large = JSONParser.Limits(maxDepth: 1 << 16, maxMembers: .max, maxElements: .max, maxStringBytes: .max)

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

/// The measures of a value that the limits bound, as the parser counts them.
private struct Measures {
    var depth = 0
    var members = 0
    var elements = 0
    var stringBytes = 0

    subscript(limit: JSONLimit) -> Int {
        switch limit {
        case .depth: depth
        case .members: members
        case .elements: elements
        case .stringBytes: stringBytes
        }
    }

    mutating func add(_ value: JSONValue, depth level: Int) {
        elements += 1
        switch value {
        case .null, .bool, .number: break
        case .string(let s): stringBytes = max(stringBytes, s.utf8.count)
        case .array(let array):
            depth = max(depth, level + 1)
            for element in array { add(element, depth: level + 1) }
        case .object(let object):
            depth = max(depth, level + 1)
            members = max(members, object.count)
            check(Set(object.names).count == object.count, "duplicate names accepted: \(object.names)")
            for (name, member) in object {
                stringBytes = max(stringBytes, name.utf8.count)
                add(member, depth: level + 1)
            }
        }
    }

    init(_ value: JSONValue) { add(value, depth: 0) }
}

private func parse(_ bytes: [UInt8], _ limits: JSONParser.Limits) -> Result<JSONValue, JSONError> {
    do throws(JSONError) { return .success(try JSONParser.parse(bytes, limits: limits)) } catch { return .failure(error) }
}

/// A document read under `limits` respects them and reads back as itself once written.
private func checkAccepted(_ value: JSONValue, _ limits: JSONParser.Limits) {
    let measures = Measures(value)
    for limit in JSONLimit.allCases {
        check(measures[limit] <= limits[limit], "\(limit.name) \(limits[limit]) accepted \(measures[limit])")
    }
    let written = value.serialized()
    guard case .success(let again) = parse(written, limits) else {
        fatalError("written back, not read back: \(String(decoding: written, as: UTF8.self))")
    }
    check(again == value, "written back as another value: \(String(decoding: written, as: UTF8.self))")
    check(again.serialized() == written, "writing is not stable")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func jsonParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let bounded = parse(bytes, small)
    let unbounded = parse(bytes, large)
    switch (bounded, unbounded) {
    case (.success(let value), .success(let same)):
        check(value == same, "the limits changed the value")
        checkAccepted(value, small)
    case (.success, .failure(let error)):
        fatalError("accepted under small limits only: \(error)")
    case (.failure(let error), .success(let value)):
        guard let (limit, max) = error.limitExceeded else { fatalError("syntax error under small limits only: \(error)") }
        check(max == small[limit], "\(limit.name) named with \(max)")
        check(Measures(value)[limit] > max, "\(limit.name) \(max) refused a document within it")
        checkAccepted(value, large)
    case (.failure(let error), .failure(let other)):
        check(other.limitExceeded == nil, "large limit exceeded: \(other)")
        check(other.offset >= 0 && other.offset <= size, "offset \(other.offset) of \(size)")
        check(error.offset >= 0 && error.offset <= size, "offset \(error.offset) of \(size)")
        if error.limitExceeded == nil {
            check(error == other, "syntax errors differ: \(error) / \(other)")
        } else {
            check(error.offset <= other.offset, "limit at \(error.offset) after the syntax error at \(other.offset)")
        }
    }
    return 0
}
