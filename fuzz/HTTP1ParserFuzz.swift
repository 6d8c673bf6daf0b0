// libFuzzer harness for HTTP1RequestParser, built by scripts/fuzz.sh together with
// Sources/HTTPCore/*.swift as one module (HTTPCore), so it needs no import.
//
// Each input is parsed twice under the caller contract: all at once, and in two pieces cut at a
// point chosen by the first byte. Both must give the same events, because TCP may cut a request
// anywhere. Any broken invariant traps, which libFuzzer reports as a crash.

/// Small limits, so that inputs of a few hundred bytes reach every limit.
private let fuzzLimits = HTTP1RequestParser.Limits(
    maxRequestLine: 64, maxHeaderBytes: 256, maxHeaderCount: 8, maxBody: 512, maxChunkLine: 32)

/// What a caller sees; consecutive body pieces are merged, since their cut follows the input's.
private enum Observed: Equatable {
    case event(HTTP1RequestParser.Event)
    case body([UInt8])
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

/// Plays the caller: keep unconsumed bytes, append each piece, call parse until it needs more.
private func observe(_ pieces: [ArraySlice<UInt8>]) -> [Observed] {
    var parser = HTTP1RequestParser(limits: fuzzLimits)
    var pending: [UInt8] = []
    var seen: [Observed] = []
    var framing = HTTPBodyFraming.none
    var bodyTotal = 0
    for piece in pieces {
        pending.append(contentsOf: piece)
        var budget = 3 * pending.count + 16
        feeding: while true {
            budget -= 1
            check(budget > 0, "no progress with \(pending.count) bytes pending")
            let (step, body) = pending.withUnsafeBytes { buffer in
                let step = parser.parse(buffer)
                guard case .body(let range) = step.event else { return (step, [UInt8]()) }
                check(!range.isEmpty && range.lowerBound >= 0, "body range \(range)")
                check(range.upperBound <= step.consumed, "body \(range) not consumed (\(step.consumed))")
                return (step, Array(buffer[range]))
            }
            check(step.consumed >= 0 && step.consumed <= pending.count, "consumed \(step.consumed) of \(pending.count)")
            pending.removeFirst(step.consumed)
            switch step.event {
            case .needMoreData:
                break feeding
            case .head(let head):
                check(step.consumed > 0, "head consumed nothing")
                framing = head.framing
                bodyTotal = 0
                if case .length(let n) = framing { check(n <= fuzzLimits.maxBody, "length \(n) accepted") }
                seen.append(.event(step.event))
            case .body:
                bodyTotal += body.count
                check(bodyTotal <= fuzzLimits.maxBody, "body total \(bodyTotal)")
                if case .body(let previous) = seen.last {
                    seen[seen.count - 1] = .body(previous + body)
                } else {
                    seen.append(.body(body))
                }
            case .end:
                if case .length(let n) = framing { check(bodyTotal == n, "body \(bodyTotal) of length \(n)") }
                seen.append(.event(step.event))
            case .error(let error):
                let again = pending.withUnsafeBytes { parser.parse($0) }
                check(again.consumed == 0 && again.event == .error(error), "error not final")
                seen.append(.event(step.event))
                return seen
            }
        }
    }
    return seen
}

@_cdecl("LLVMFuzzerTestOneInput")
public func httpParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let cut = Int(first) * (size + 1) / 256
    let whole = observe([bytes[...]])
    let split = observe([bytes[..<cut], bytes[cut...]])
    if whole != split {
        fatalError("split at \(cut) differs:\n  whole: \(whole)\n  split: \(split)")
    }
    return 0
}
