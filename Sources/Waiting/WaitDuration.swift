/// The wait of a long-poll as clients write it: `30s`, `500ms`, `1m`, or plain seconds (the
/// `wait` query parameter, `Prefer: wait=` and a recipe body's `wait` member).
public enum WaitDuration {
    /// Parses a duration; callers clamp it. At most 9 digits are read, so any value fits.
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        var digits = Substring(text)
        var scale: Int64 = 1000
        for (suffix, unit) in units where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            scale = unit
            break
        }
        guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let n = Int64(digits)
        else { return nil }
        return .milliseconds(n * scale)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating at zero and at `UInt64.max`: what timers and `Task.sleep`
    /// take.
    public var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let total = Int64(bitPattern: whole) + attoseconds / 1_000_000_000
        return total <= 0 ? 0 : UInt64(total)
    }
}
