/// Limits an HTTP/2 server session announces and enforces.
public struct HTTP2Settings: Sendable, Hashable {
    /// Streams open at once per connection (SETTINGS_MAX_CONCURRENT_STREAMS).
    public var maxConcurrentStreams: UInt32
    /// The largest header list a request may carry, decoded (SETTINGS_MAX_HEADER_LIST_SIZE).
    public var maxHeaderListSize: UInt32
    /// The HPACK table the peer may make us keep (SETTINGS_HEADER_TABLE_SIZE).
    public var headerTableSize: UInt32
    /// The largest request body kept per stream.
    public var maxBody: Int
    /// Stream resets a client may send per `resetWindowMs` before the connection is closed
    /// with GOAWAY (the rapid-reset attack).
    public var maxResetsPerWindow: Int
    public var resetWindowMs: Int

    public init(
        maxConcurrentStreams: UInt32 = 256, maxHeaderListSize: UInt32 = 16_384, headerTableSize: UInt32 = 4_096,
        maxBody: Int = 1 << 20, maxResetsPerWindow: Int = 200, resetWindowMs: Int = 1_000
    ) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxHeaderListSize = maxHeaderListSize
        self.headerTableSize = headerTableSize
        self.maxBody = maxBody
        self.maxResetsPerWindow = maxResetsPerWindow
        self.resetWindowMs = resetWindowMs
    }
}
