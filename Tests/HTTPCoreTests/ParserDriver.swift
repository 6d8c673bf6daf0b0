import HTTPCore

/// The parts of a request head a caller relies on, in a form that compares and prints well.
struct HeadSnapshot: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var version: String
    var headers: [String]
    var keepAlive: Bool
    var expectContinue: Bool
    var framing: HTTPBodyFraming

    init(_ head: HTTPRequestHead) {
        method = head.method.rawValue
        target = head.target
        version = head.version.description
        headers = head.headers.map { "\($0.name): \($0.value)" }
        keepAlive = head.keepAlive
        expectContinue = head.expectContinue
        framing = head.framing
    }

    var description: String {
        "\(method) \(target) \(version) \(headers) keepAlive=\(keepAlive) expect=\(expectContinue) \(framing)"
    }
}

/// What the caller observes. Consecutive body pieces are merged, because how a body is cut into
/// events depends on how the bytes arrived, and nothing else may.
enum ParseRecord: Equatable, CustomStringConvertible {
    case head(HeadSnapshot)
    case body([UInt8])
    case end
    case error(HTTP1ParseError)
    /// The parser broke its side of the contract; always a test failure.
    case violation(String)

    var description: String {
        switch self {
        case .head(let h): "head(\(h))"
        case .body(let b): "body(\(String(decoding: b, as: UTF8.self).debugDescription))"
        case .end: "end"
        case .error(let e): "error(\(e))"
        case .violation(let v): "violation(\(v))"
        }
    }
}

/// Plays the parser's caller exactly as its contract says: keeps the unconsumed bytes, appends
/// new ones, calls `parse` until `.needMoreData`, and drops what each call consumed.
struct ParserDriver {
    private(set) var parser: HTTP1RequestParser
    /// Bytes received but not consumed yet.
    private(set) var pending: [UInt8] = []
    private(set) var records: [ParseRecord] = []
    /// Set by an error or a violation; a real connection would answer and close.
    private(set) var stopped = false

    init(limits: HTTP1RequestParser.Limits = .init()) {
        parser = HTTP1RequestParser(limits: limits)
    }

    mutating func feed<S: Sequence<UInt8>>(_ bytes: S) {
        pending.append(contentsOf: bytes)
        // Every non-final event consumes bytes or changes state, so this bounds a stuck parser.
        var budget = 3 * pending.count + 16
        while !stopped {
            budget -= 1
            guard budget > 0 else { return record(.violation("no progress")) }
            var p = parser
            let (step, body) = pending.withUnsafeBytes { buffer -> (HTTP1RequestParser.Step, [UInt8]?) in
                let step = p.parse(buffer)
                guard case .body(let range) = step.event else { return (step, nil) }
                guard range.lowerBound >= 0, range.upperBound <= step.consumed else { return (step, nil) }
                return (step, Array(buffer[range]))
            }
            parser = p
            guard step.consumed >= 0, step.consumed <= pending.count else {
                return record(.violation("consumed \(step.consumed) of \(pending.count)"))
            }
            pending.removeFirst(step.consumed)
            switch step.event {
            case .needMoreData: return
            case .head(let head): record(.head(HeadSnapshot(head)))
            case .body(let range):
                guard let body, !body.isEmpty else { return record(.violation("body range \(range)")) }
                record(.body(body))
            case .end: record(.end)
            case .error(let error): record(.error(error))
            }
        }
    }

    private mutating func record(_ r: ParseRecord) {
        switch (records.last, r) {
        case (.body(let a), .body(let b)): records[records.count - 1] = .body(a + b)
        default: records.append(r)
        }
        switch r {
        case .error, .violation: stopped = true
        default: break
        }
    }
}

extension ParserDriver {
    /// Feeds `pieces` one after another and returns every record.
    static func records(_ pieces: [[UInt8]], limits: HTTP1RequestParser.Limits = .init()) -> [ParseRecord] {
        var driver = ParserDriver(limits: limits)
        for piece in pieces { driver.feed(piece) }
        return driver.records
    }

    static func records(_ text: String, limits: HTTP1RequestParser.Limits = .init()) -> [ParseRecord] {
        records([Array(text.utf8)], limits: limits)
    }

    /// The error the whole input ends in, or nil when it parses cleanly.
    static func error(_ text: String, limits: HTTP1RequestParser.Limits = .init()) -> HTTP1ParseError? {
        error(Array(text.utf8), limits: limits)
    }

    static func error(_ bytes: [UInt8], limits: HTTP1RequestParser.Limits = .init()) -> HTTP1ParseError? {
        guard case .error(let e) = records([bytes], limits: limits).last else { return nil }
        return e
    }

    /// The heads parsed from the input, in order.
    static func heads(_ text: String, limits: HTTP1RequestParser.Limits = .init()) -> [HeadSnapshot] {
        records(text, limits: limits).compactMap {
            if case .head(let h) = $0 { return h }
            return nil
        }
    }
}

/// The parser's own head value, for the computed properties (`path`, `query`).
func parsedHead(_ text: String) -> HTTPRequestHead? {
    var parser = HTTP1RequestParser()
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { buffer in
        if case .head(let head) = parser.parse(buffer).event { return head }
        return nil
    }
}
