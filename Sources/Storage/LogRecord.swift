/// One record of the write-ahead log: an opaque payload and the sequence number the log gave
/// it (consecutive, from 1).
public struct LogRecord: Equatable, Sendable {
    public var sequence: UInt64
    public var payload: [UInt8]

    public init(sequence: UInt64, payload: [UInt8]) {
        self.sequence = sequence
        self.payload = payload
    }
}
