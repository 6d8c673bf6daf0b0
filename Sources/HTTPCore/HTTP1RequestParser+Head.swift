/// Where head scanning stands in a partial request.
struct HeadScan: Sendable {
    /// Bytes of the input already scanned.
    var position = 0
    /// Where the request line starts (after ignored leading empty lines).
    var headStart = 0
    /// Where the line being scanned starts.
    var lineStart = 0
    /// Offset just past the request line's LF, or -1 while it is incomplete.
    var requestLineEnd = -1
    var headerLines = 0
}

let CR: UInt8 = 0x0D
let LF: UInt8 = 0x0A
let SP: UInt8 = 0x20
let HTAB: UInt8 = 0x09

/// tchar (RFC 9110 §5.6.2): ALPHA, DIGIT and `!#$%&'*+-.^_`|~`. A bitmap in two words,
/// so the check is a shift and a mask, with no table to load lazily.
@inline(__always) func isTchar(_ b: UInt8) -> Bool {
    // Bits for 0x00–0x3F: ! # $ % & ' * + - . 0-9
    let low: UInt64 = 0x03FF_6CFA_0000_0000
    // Bits for 0x40–0x7F: A-Z ^ _ ` a-z | ~
    let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
    return b < 64 ? (low >> UInt64(b)) & 1 == 1 : b < 128 && (high >> UInt64(b - 64)) & 1 == 1
}
@inline(__always) func isFieldValueByte(_ b: UInt8) -> Bool { b == HTAB || (b >= 0x20 && b != 0x7F) }

extension HTTP1RequestParser {
    /// Empty lines tolerated before a request line (RFC 9112 §2.2 asks for at least one).
    static var maxLeadingEmptyLines: Int { 8 }

    mutating func parseHead(_ input: UnsafeRawBufferPointer) -> Step {
        let n = input.count
        var i = scan.position
        if scan.requestLineEnd < 0 && i == scan.lineStart {
            // RFC 9112 §2.2: ignore empty lines before the request line, a few of them.
            while i + 1 < n, input[i] == CR, input[i + 1] == LF { i += 2 }
            scan.headStart = i
            scan.lineStart = i
            if i > 2 * Self.maxLeadingEmptyLines { return fail(.malformedRequestLine) }
            if i < n && input[i] == CR && i + 1 == n {
                scan.position = i
                return Step(consumed: 0, event: .needMoreData)
            }
        }
        // Limits are checked before every byte, and again at the end of the input with the
        // same rule, so the outcome never depends on how the bytes were split.
        var bound = sizeBound()
        while i < n {
            if i > bound { return fail(sizeError(before: i)!) }
            if input[i] == LF {
                guard i > scan.lineStart, input[i - 1] == CR else { return fail(.invalidLineEnding) }
                let lineLength = i - 1 - scan.lineStart
                if scan.requestLineEnd < 0 {
                    scan.requestLineEnd = i + 1
                    bound = sizeBound()
                } else if lineLength == 0 {
                    if i + 1 - scan.requestLineEnd > limits.maxHeaderBytes { return fail(.headersTooLarge) }
                    return finishHead(input, end: i + 1)
                } else {
                    scan.headerLines += 1
                    if scan.headerLines > limits.maxHeaderCount { return fail(.tooManyHeaders) }
                }
                scan.lineStart = i + 1
            }
            i += 1
        }
        scan.position = i
        if let error = sizeError(before: i) { return fail(error) }
        return Step(consumed: 0, event: .needMoreData)
    }

    /// The largest offset `i` for which `sizeError(before: i)` is nil.
    @inline(__always)
    private func sizeBound() -> Int {
        scan.requestLineEnd < 0
            ? scan.lineStart + limits.maxRequestLine + 1 : scan.requestLineEnd + limits.maxHeaderBytes
    }

    /// Whether the bytes before offset `i` already break a size limit. A request line may hold
    /// `maxRequestLine` bytes plus its CR before the LF; the header section (from the end of
    /// the request line) may hold `maxHeaderBytes` bytes in all.
    @inline(__always)
    private func sizeError(before i: Int) -> HTTP1ParseError? {
        if scan.requestLineEnd < 0 {
            return i - scan.lineStart > limits.maxRequestLine + 1 ? .requestLineTooLong : nil
        }
        return i - scan.requestLineEnd > limits.maxHeaderBytes ? .headersTooLarge : nil
    }

    /// Parses a complete head in `input[headStart..<end]`, whose line ends are known good.
    private mutating func finishHead(_ input: UnsafeRawBufferPointer, end: Int) -> Step {
        let lineEnd = scan.requestLineEnd - 2
        guard let (method, target, version) = parseRequestLine(input, scan.headStart, lineEnd) else {
            if case .failed(let e) = state { return Step(consumed: 0, event: .error(e)) }
            return fail(.malformedRequestLine)
        }
        var headers = HTTPHeaders()
        headers.fields.reserveCapacity(scan.headerLines)
        var fields = FramingFields()
        var start = scan.requestLineEnd
        while start < end - 2 {
            var stop = start
            while input[stop] != CR || input[stop + 1] != LF { stop += 1 }
            if let error = parseField(input, start, stop, into: &headers, &fields) { return fail(error) }
            start = stop + 2
        }
        switch fields.framing(version: version, limits: limits) {
        case .failure(let error):
            return fail(error)
        case .success(let framing):
            let keepAlive = version == .http1_1 ? !fields.connectionClose : fields.connectionKeepAlive && !fields.connectionClose
            let head = HTTPRequestHead(
                method: method, target: target, version: version, headers: headers, keepAlive: keepAlive,
                expectContinue: fields.expectContinue && version == .http1_1 && framing != .none
                    && framing != .length(0),
                framing: framing)
            switch framing {
            case .none, .length(0): state = .endPending
            case .length(let n): state = .fixedBody(remaining: n)
            case .chunked: state = .chunked(.size(value: 0, digits: 0, lineBytes: 0))
            }
            scan = HeadScan()
            return Step(consumed: end, event: .head(head))
        }
    }

    private mutating func parseRequestLine(_ input: UnsafeRawBufferPointer, _ start: Int, _ end: Int)
        -> (HTTPMethod, String, HTTPVersion)?
    {
        var sp1 = start
        while sp1 < end && input[sp1] != SP { sp1 += 1 }
        guard sp1 < end, sp1 > start else { return nil }
        for i in start..<sp1 where !isTchar(input[i]) {
            _ = fail(.invalidMethod)
            return nil
        }
        var sp2 = sp1 + 1
        while sp2 < end && input[sp2] != SP { sp2 += 1 }
        guard sp2 < end, sp2 > sp1 + 1 else { return nil }
        for i in (sp1 + 1)..<sp2 where input[i] < 0x21 || input[i] > 0x7E {
            _ = fail(.invalidTarget)
            return nil
        }
        let method = HTTPMethod(token: UnsafeRawBufferPointer(rebasing: input[start..<sp1]))
        let targetBytes = UnsafeRawBufferPointer(rebasing: input[(sp1 + 1)..<sp2])
        guard Self.isValidTargetForm(targetBytes, method: method) else {
            _ = fail(.invalidTarget)
            return nil
        }
        let v = UnsafeRawBufferPointer(rebasing: input[(sp2 + 1)..<end])
        guard v.count == 8, v[0] == UInt8(ascii: "H"), v[1] == UInt8(ascii: "T"), v[2] == UInt8(ascii: "T"),
            v[3] == UInt8(ascii: "P"), v[4] == UInt8(ascii: "/"), v[6] == UInt8(ascii: "."),
            (0x30...0x39).contains(v[5]), (0x30...0x39).contains(v[7])
        else {
            _ = fail(.invalidVersion)
            return nil
        }
        guard v[5] == UInt8(ascii: "1") else {
            _ = fail(.unsupportedVersion)
            return nil
        }
        // RFC 9110 §6.2: a higher 1.x minor version is answered as 1.1.
        let version: HTTPVersion = v[7] == UInt8(ascii: "0") ? .http1_0 : .http1_1
        return (method, makeString(targetBytes), version)
    }

    /// origin-form, `*` for OPTIONS, absolute-form, or authority-form for CONNECT.
    private static func isValidTargetForm(_ t: UnsafeRawBufferPointer, method: HTTPMethod) -> Bool {
        if t[0] == UInt8(ascii: "/") { return true }
        if t.count == 1 && t[0] == UInt8(ascii: "*") { return method == .options }
        if method.rawValue == "CONNECT" { return true }
        func lowered(_ n: Int) -> UnsafeRawBufferPointer? { t.count >= n ? UnsafeRawBufferPointer(rebasing: t[0..<n]) : nil }
        return lowered(7).map { FramingFields.equalsLowercase($0, "http://") } == true
            || lowered(8).map { FramingFields.equalsLowercase($0, "https://") } == true
    }

    private func parseField(
        _ input: UnsafeRawBufferPointer, _ start: Int, _ end: Int, into headers: inout HTTPHeaders,
        _ fields: inout FramingFields
    ) -> HTTP1ParseError? {
        if input[start] == SP || input[start] == HTAB { return .obsoleteLineFolding }
        var colon = start
        while colon < end && input[colon] != UInt8(ascii: ":") {
            if !isTchar(input[colon]) { return .invalidHeaderName }
            colon += 1
        }
        guard colon < end, colon > start else { return .invalidHeaderName }
        var vs = colon + 1
        var ve = end
        while vs < ve && (input[vs] == SP || input[vs] == HTAB) { vs += 1 }
        while ve > vs && (input[ve - 1] == SP || input[ve - 1] == HTAB) { ve -= 1 }
        for i in vs..<ve where !isFieldValueByte(input[i]) { return .invalidHeaderValue }
        let name = UnsafeRawBufferPointer(rebasing: input[start..<colon])
        let value = UnsafeRawBufferPointer(rebasing: input[vs..<ve])
        if let error = fields.observe(name: name, value: value) { return error }
        headers.fields.append((name: Self.commonName(name) ?? makeString(name), value: makeString(value)))
        return nil
    }

    /// Well-known field names as static strings: names are case-insensitive, and building a
    /// String from bytes costs a validation pass per field per request.
    @inline(__always)
    static func commonName(_ name: UnsafeRawBufferPointer) -> String? {
        switch name.count {
        case 4: FramingFields.equalsLowercase(name, "host") ? "Host" : nil
        case 6:
            FramingFields.equalsLowercase(name, "accept") ? "Accept"
                : FramingFields.equalsLowercase(name, "expect") ? "Expect"
                : FramingFields.equalsLowercase(name, "prefer") ? "Prefer" : nil
        case 8: FramingFields.equalsLowercase(name, "if-match") ? "If-Match" : nil
        case 10:
            FramingFields.equalsLowercase(name, "user-agent") ? "User-Agent"
                : FramingFields.equalsLowercase(name, "connection") ? "Connection" : nil
        case 12:
            FramingFields.equalsLowercase(name, "content-type") ? "Content-Type"
                : FramingFields.equalsLowercase(name, "zkgate-index") ? "Zkgate-Index" : nil
        case 13:
            FramingFields.equalsLowercase(name, "if-none-match") ? "If-None-Match"
                : FramingFields.equalsLowercase(name, "authorization") ? "Authorization"
                : FramingFields.equalsLowercase(name, "last-event-id") ? "Last-Event-ID" : nil
        case 14: FramingFields.equalsLowercase(name, "content-length") ? "Content-Length" : nil
        case 15: FramingFields.equalsLowercase(name, "accept-encoding") ? "Accept-Encoding" : nil
        case 17: FramingFields.equalsLowercase(name, "transfer-encoding") ? "Transfer-Encoding" : nil
        default: nil
        }
    }
}
