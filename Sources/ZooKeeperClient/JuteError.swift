/// Errors raised while decoding jute records or framing packets.
///
/// Notable cases: `.truncated` is what a short read produces (a partial packet is never a valid
/// record); `.lengthOverLimit` mirrors the server's "Len error" for anything over `jute.maxbuffer`
/// (0xfffff, 1 MiB − 1), which a well-behaved peer never sends.
public enum JuteError: Error, Equatable, Sendable {
    /// The input ended before the record did.
    case truncated
    /// A length or count prefix was negative and not -1 (the only negative value meaning null).
    case negativeLength(Int32)
    /// A length or count prefix exceeded `Jute.maxPacketLength`.
    case lengthOverLimit(Int32)
    /// A ustring's bytes were not valid UTF-8.
    case invalidUTF8
    /// Bytes were left over where the caller required the record to fill the input exactly.
    case trailingBytes(Int)
    /// A value (such as a multi result type) the codec does not know how to decode.
    case unexpectedValue(Int32)
}

/// Protocol-wide constants.
public enum Jute {
    /// jute.maxbuffer default: the largest packet (and the largest single length prefix) accepted.
    public static let maxPacketLength: Int32 = 0xfffff
}
