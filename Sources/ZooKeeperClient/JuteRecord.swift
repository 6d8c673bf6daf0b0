/// A jute record: fields concatenated, no framing.
public protocol JuteRecord: Sendable, Equatable {
    func encode(to writer: inout JuteWriter)
    init(from reader: inout JuteReader) throws(JuteError)
}

extension JuteRecord {
    /// The record's bytes, without a length prefix.
    public func encoded() -> [UInt8] {
        var w = JuteWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Decodes a record that must fill `bytes` exactly (`.trailingBytes` otherwise).
    public static func decode(_ bytes: [UInt8]) throws(JuteError) -> Self {
        var r = JuteReader(bytes)
        let v = try Self(from: &r)
        try r.finish()
        return v
    }
}
