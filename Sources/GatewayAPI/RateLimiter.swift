import Authorization

/// A request rate per principal: `perSecond` sustained, `burst` at once.
public struct RateLimit: Sendable, Equatable {
    public var perSecond: Double
    public var burst: Double

    public init(perSecond: Double, burst: Double) {
        self.perSecond = max(perSecond, 0.001)
        self.burst = max(burst, 1)
    }

    /// `N/s`, `N/m` or `N` (a second), as `--rate-limit` takes it; nil when malformed.
    public init?(parsing text: String, burst: Double?) {
        var number = Substring(text)
        var unit = 1.0
        if text.hasSuffix("/s") { number = number.dropLast(2) }
        else if text.hasSuffix("/m") { number = number.dropLast(2); unit = 60 }
        guard let n = Double(number), n > 0, n.isFinite else { return nil }
        self.init(perSecond: n / unit, burst: burst ?? max(1, (n / unit).rounded(.up)))
    }

    /// Each of `loops` loops' share.
    func share(of loops: Int) -> RateLimit {
        RateLimit(perSecond: perSecond / Double(loops), burst: max(1, (burst / Double(loops)).rounded(.up)))
    }
}

/// Requests per principal over time (`--rate-limit`), as token buckets: each principal may
/// spend `burst` requests at once and regains `perSecond` a second. One limiter per loop,
/// confined to it (no lock per request); each loop gets its share of the rate and the burst,
/// since a client's connections spread over the loops.
///
/// Anonymous clients are told apart by their address, so one of them cannot spend the
/// others' allowance.
final class RateLimiter {
    enum Key: Hashable {
        case principal(Principal)
        /// An anonymous client's host address.
        case anonymous(String?)
    }

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    let limit: RateLimit
    private var buckets: [Key: Bucket] = [:]
    /// Principals tracked at once; past it, the buckets that are full again are dropped (they
    /// hold nothing a new bucket would not).
    static let capacity = 65_536

    init(limit: RateLimit) { self.limit = limit }

    /// Spends one request of `key`'s allowance at `now` (monotonic nanoseconds).
    ///
    /// - Returns: nil when allowed; otherwise the whole seconds until one request is regained.
    func spend(_ key: Key, now: UInt64) -> Int? {
        var bucket = buckets[key] ?? Bucket(tokens: limit.burst, updated: now)
        let elapsed = Double(now &- bucket.updated) / 1e9
        bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.perSecond)
        bucket.updated = now
        defer {
            if buckets.count >= Self.capacity, buckets[key] == nil { prune(now) }
            buckets[key] = bucket
        }
        guard bucket.tokens >= 1 else {
            return max(1, Int(((1 - bucket.tokens) / limit.perSecond).rounded(.up)))
        }
        bucket.tokens -= 1
        return nil
    }

    private func prune(_ now: UInt64) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + Double(now &- bucket.updated) / 1e9 * limit.perSecond < limit.burst
        }
        if buckets.count >= Self.capacity { buckets.removeAll(keepingCapacity: true) }
    }
}
