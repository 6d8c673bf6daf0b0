/// A sans-IO HTTP/1.1 request parser.
///
/// The caller owns the bytes. Each `parse` call looks at the unconsumed input, which must start
/// with the bytes not consumed by the previous call (followed by any new ones), and returns how
/// many bytes it consumed and one event. Call again while the event is not `.needMoreData`.
/// Bodies are delivered as ranges of the input, so the parser never copies them.
///
/// After an `.error` the parser stays failed: the connection must answer and close.
public struct HTTP1RequestParser: Sendable {
    /// Size limits, each with its own status when exceeded.
    public struct Limits: Sendable, Equatable {
        /// Longest request line, without CRLF (414).
        public var maxRequestLine: Int
        /// Largest header section, after the request line (431).
        public var maxHeaderBytes: Int
        /// Most header fields (431).
        public var maxHeaderCount: Int
        /// Largest decoded body (413).
        public var maxBody: Int
        /// Longest chunk-size line with its extensions (400).
        public var maxChunkLine: Int

        public init(
            maxRequestLine: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 128,
            maxBody: Int = 1 << 20, maxChunkLine: Int = 4096
        ) {
            self.maxRequestLine = maxRequestLine
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBody = maxBody
            self.maxChunkLine = maxChunkLine
        }
    }

    public enum Event: Sendable, Equatable {
        /// Nothing more can be done until more bytes arrive.
        case needMoreData
        case head(HTTPRequestHead)
        /// Body bytes, as a range of the input given to this call.
        case body(Range<Int>)
        /// The request is complete; the parser is ready for the next one.
        case end
        case error(HTTP1ParseError)

        public static func == (lhs: Event, rhs: Event) -> Bool {
            switch (lhs, rhs) {
            case (.needMoreData, .needMoreData), (.end, .end): true
            case (.head(let a), .head(let b)):
                a.method == b.method && a.target == b.target && a.version == b.version && a.headers == b.headers
                    && a.keepAlive == b.keepAlive && a.expectContinue == b.expectContinue && a.framing == b.framing
            case (.body(let a), .body(let b)): a == b
            case (.error(let a), .error(let b)): a == b
            default: false
            }
        }
    }

    public struct Step: Sendable, Equatable {
        public var consumed: Int
        public var event: Event
    }

    enum State: Sendable {
        case head
        case fixedBody(remaining: Int)
        case chunked(ChunkedState)
        case endPending
        case failed(HTTP1ParseError)
    }

    public let limits: Limits
    var state: State = .head
    /// Head scanning progress, so partial heads are not rescanned from the start.
    var scan = HeadScan()
    var bodyReceived = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether the parser sits between requests, with nothing of the next one seen yet.
    public var isIdle: Bool {
        if case .head = state { return scan.position == 0 }
        return false
    }

    /// Whether a request body is being received.
    public var isReadingBody: Bool {
        switch state {
        case .fixedBody, .chunked, .endPending: true
        default: false
        }
    }

    /// Parses as much of `input` as yields one event.
    public mutating func parse(_ input: UnsafeRawBufferPointer) -> Step {
        switch state {
        case .head:
            return parseHead(input)
        case .fixedBody(let remaining):
            guard !input.isEmpty else { return Step(consumed: 0, event: .needMoreData) }
            let n = min(remaining, input.count)
            state = remaining == n ? .endPending : .fixedBody(remaining: remaining - n)
            return Step(consumed: n, event: .body(0..<n))
        case .chunked(let chunked):
            return parseChunked(input, chunked)
        case .endPending:
            reset()
            return Step(consumed: 0, event: .end)
        case .failed(let error):
            return Step(consumed: 0, event: .error(error))
        }
    }

    mutating func fail(_ error: HTTP1ParseError) -> Step {
        state = .failed(error)
        return Step(consumed: 0, event: .error(error))
    }

    mutating func reset() {
        state = .head
        scan = HeadScan()
        bodyReceived = 0
    }
}
