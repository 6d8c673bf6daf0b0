/// Position inside a chunked body (RFC 9112 §7.1). Framing is parsed byte by byte so it can be
/// split anywhere; chunk data is handed out in bulk.
enum ChunkedState: Sendable, Equatable {
    case size(value: Int, digits: Int, lineBytes: Int)
    case extensions(value: Int, lineBytes: Int)
    case sizeLF(value: Int)
    case data(remaining: Int)
    case dataCR
    case dataLF
    case trailerLineStart(total: Int)
    case trailerLine(total: Int, nameLength: Int, sawColon: Bool)
    case trailerLF(total: Int)
    case finalLF(total: Int)
}

extension HTTP1RequestParser {
    /// Trailer fields are validated and then discarded (RFC 9110 §6.5.1 allows it).
    mutating func parseChunked(_ input: UnsafeRawBufferPointer, _ initial: ChunkedState) -> Step {
        var st = initial
        var i = 0
        let n = input.count
        while i < n {
            let b = input[i]
            switch st {
            case .size(let value, let digits, let lineBytes):
                if b != CR && lineBytes + 1 > limits.maxChunkLine { return fail(.chunkLineTooLong) }
                if let h = Self.hexValue(b) {
                    // 15 hex digits cannot overflow Int, and no body limit is that large.
                    guard digits < 15 else { return fail(.invalidChunkSize) }
                    let v = value << 4 | h
                    if v > limits.maxBody - bodyReceived { return fail(.bodyTooLarge(limit: limits.maxBody)) }
                    st = .size(value: v, digits: digits + 1, lineBytes: lineBytes + 1)
                } else if digits == 0 {
                    return fail(.invalidChunkSize)
                } else if b == UInt8(ascii: ";") || b == SP || b == HTAB {
                    st = .extensions(value: value, lineBytes: lineBytes + 1)
                } else if b == CR {
                    st = .sizeLF(value: value)
                } else {
                    return fail(.invalidChunkSize)
                }
            case .extensions(let value, let lineBytes):
                if b == CR {
                    st = .sizeLF(value: value)
                } else if !isFieldValueByte(b) {
                    return fail(.invalidChunkFraming)
                } else if lineBytes + 1 > limits.maxChunkLine {
                    return fail(.chunkLineTooLong)
                } else {
                    st = .extensions(value: value, lineBytes: lineBytes + 1)
                }
            case .sizeLF(let value):
                guard b == LF else { return fail(.invalidChunkFraming) }
                st = value == 0 ? .trailerLineStart(total: 0) : .data(remaining: value)
            case .data(let remaining):
                let k = min(remaining, n - i)
                bodyReceived += k
                state = .chunked(k == remaining ? .dataCR : .data(remaining: remaining - k))
                return Step(consumed: i + k, event: .body(i..<(i + k)))
            case .dataCR:
                guard b == CR else { return fail(.invalidChunkFraming) }
                st = .dataLF
            case .dataLF:
                guard b == LF else { return fail(.invalidChunkFraming) }
                st = .size(value: 0, digits: 0, lineBytes: 0)
            case .trailerLineStart(let total):
                // `total` counts every byte of the trailer section, CRLFs included, as the
                // header section's limit does.
                if total + 1 > limits.maxHeaderBytes { return fail(.trailersTooLarge) }
                if b == CR {
                    st = .finalLF(total: total + 1)
                } else if b == SP || b == HTAB {
                    return fail(.obsoleteLineFolding)
                } else if isTchar(b) {
                    st = .trailerLine(total: total + 1, nameLength: 1, sawColon: false)
                } else {
                    return fail(.invalidHeaderName)
                }
            case .trailerLine(let total, let nameLength, let sawColon):
                if total + 1 > limits.maxHeaderBytes { return fail(.trailersTooLarge) }
                if b == CR {
                    guard sawColon else { return fail(.invalidHeaderName) }
                    st = .trailerLF(total: total + 1)
                } else if sawColon {
                    guard isFieldValueByte(b) else { return fail(.invalidHeaderValue) }
                    st = .trailerLine(total: total + 1, nameLength: nameLength, sawColon: true)
                } else if b == UInt8(ascii: ":") {
                    st = .trailerLine(total: total + 1, nameLength: nameLength, sawColon: true)
                } else {
                    guard isTchar(b) else { return fail(.invalidHeaderName) }
                    st = .trailerLine(total: total + 1, nameLength: nameLength + 1, sawColon: false)
                }
            case .trailerLF(let total):
                guard b == LF else { return fail(.invalidLineEnding) }
                if total + 1 > limits.maxHeaderBytes { return fail(.trailersTooLarge) }
                st = .trailerLineStart(total: total + 1)
            case .finalLF(let total):
                guard b == LF else { return fail(.invalidLineEnding) }
                if total + 1 > limits.maxHeaderBytes { return fail(.trailersTooLarge) }
                reset()
                return Step(consumed: i + 1, event: .end)
            }
            i += 1
        }
        state = .chunked(st)
        return Step(consumed: n, event: .needMoreData)
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }
}
