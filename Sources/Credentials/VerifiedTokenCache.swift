/// Tokens verified recently, so that a device's repeated requests cost a SHA-256 and a table
/// lookup instead of a signature check.
///
/// Keyed by the token's SHA-256: the cache never holds a token, so its memory gives no
/// credential away. An entry serves until its `exp` (the verifier's leeway does not extend it),
/// and all of them go when the verifier changes (a JWKS reload, a new issuer or audience): the
/// cache notes the verifier's `generation` and empties itself when a call brings another one.
///
/// Bounded by `capacity`. When full, an entry is replaced by the CLOCK rule: a hand sweeps the
/// slots, removing the first one that has expired or has not been hit since the hand last
/// passed, and clearing the hit mark of the others. New entries start unmarked, so a burst of
/// tokens seen once evicts each other before any entry that is in use. Each insertion moves the
/// hand a few slots on average; there is no scan of the whole table per insertion.
///
/// Not thread-safe, by design: one cache belongs to one event loop and is used on its thread
/// only, so it needs no lock (and the class is not `Sendable`). Each loop keeps its own; a
/// device whose connections land on several loops is verified once on each.
public final class VerifiedTokenCache {
    /// The most entries held.
    public let capacity: Int
    /// The `generation` of the verifier whose results the entries are, nil while empty of any.
    public private(set) var generation: UInt64?

    private struct Slot {
        var digest: SHA256Digest
        var token: VerifiedToken?
        var referenced: Bool
    }

    private var slots: [Slot] = []
    private var index: [SHA256Digest: Int] = [:]
    /// Slots emptied by expiry or removal, reused before the table grows.
    private var free: [Int] = []
    private var hand = 0

    /// - Parameter capacity: the most entries held (at least 1). Memory grows with use, by
    ///   some 350 bytes an entry with its strings (measured by bench/credentials.sh), so 65,536
    ///   entries take about 22 MB.
    public init(capacity: Int = 65_536) {
        self.capacity = max(1, capacity)
    }

    /// Entries held (expired ones not yet noticed included).
    public var count: Int { index.count }

    /// The token verified, from the cache when `token` was verified before by the same verifier
    /// and has not expired; else from `verifier`, and then remembered.
    ///
    /// - Throws: what `JWTVerifier.verify` throws; refusals are not cached.
    public func verify(_ token: some Collection<UInt8>, with verifier: JWTVerifier, now: Int64) throws(JWTError) -> VerifiedToken {
        if generation != verifier.generation {
            removeAll()
            generation = verifier.generation
        }
        // Hashing a huge token would cost more than refusing it.
        guard token.count <= JWTVerifier.maxTokenBytes else { return try verifier.verify(token, now: now) }
        let digest = SHA256.hash(token)
        if let hit = lookup(digest, now: now) { return hit }
        let verified = try verifier.verify(token, now: now)
        insert(verified, for: digest, now: now)
        return verified
    }

    /// The token remembered under `digest`, unless it expired (then it is dropped).
    /// `lookup` and `insert` do not look at generations: a caller using them rather than
    /// `verify` calls `removeAll` when its verifier changes.
    public func lookup(_ digest: SHA256Digest, now: Int64) -> VerifiedToken? {
        guard let slot = index[digest], let token = slots[slot].token else { return nil }
        guard now < token.expiresAt else {
            remove(slot)
            return nil
        }
        slots[slot].referenced = true
        return token
    }

    /// Remembers `token` under `digest` (the SHA-256 of the token's text) until it expires;
    /// does nothing when it already has (within the leeway, say).
    public func insert(_ token: VerifiedToken, for digest: SHA256Digest, now: Int64) {
        guard now < token.expiresAt else { return }
        if let slot = index[digest] {
            slots[slot].token = token
            return
        }
        if index.count >= capacity { evict(now: now) }
        let entry = Slot(digest: digest, token: token, referenced: false)
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            slots[slot] = entry
        } else {
            slot = slots.count
            slots.append(entry)
        }
        index[digest] = slot
    }

    /// Forgets every entry (the table's memory is kept for reuse).
    public func removeAll() {
        index.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        free.removeAll(keepingCapacity: true)
        hand = 0
    }

    /// Frees one slot by the CLOCK rule. Ends within two turns of the hand: the first turn
    /// clears every mark it passes.
    private func evict(now: Int64) {
        while true {
            let slot = hand
            hand = hand + 1 == slots.count ? 0 : hand + 1
            guard let token = slots[slot].token else { continue }
            if token.expiresAt <= now || !slots[slot].referenced {
                remove(slot)
                return
            }
            slots[slot].referenced = false
        }
    }

    private func remove(_ slot: Int) {
        index[slots[slot].digest] = nil
        slots[slot].token = nil
        slots[slot].referenced = false
        free.append(slot)
    }
}
