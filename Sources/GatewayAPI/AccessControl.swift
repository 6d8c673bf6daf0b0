import Authorization
import Credentials
import Synchronization

/// The access policy in force (`--auth-policy`): the grants, the bearer tokens' digests and
/// the JWT verifier (`--auth-jwks`). Immutable, replaced whole by a reload, so that a request
/// is decided by one version of all three; a class, so that a request holds it for one retain.
public final class AccessControl: Sendable {
    public let policy: Policy
    let tokens: BearerTokens
    let jwt: JWTVerifier?

    /// - Throws: `BearerTokensError` for digests the token table cannot hold (the policy's
    ///   parser refuses those already).
    public init(policy: Policy, jwks: JWKS? = nil, issuer: String? = nil, audience: String? = nil)
        throws(BearerTokensError)
    {
        self.policy = policy
        tokens = try BearerTokens(policy.tokens.map { ($0.id, $0.sha256) })
        jwt = jwks.map { JWTVerifier(keys: $0, issuer: issuer, audience: audience) }
    }
}

/// Where the loops find the access policy in force: read once per request as one relaxed
/// atomic load of the generation, and under the lock only after a reload.
final class AccessSlot: Sendable {
    private let control: Mutex<AccessControl>
    let generation = Atomic<UInt64>(1)

    init(_ control: AccessControl) { self.control = Mutex(control) }

    var current: AccessControl { control.withLock { $0 } }

    func replace(_ new: AccessControl) {
        control.withLock { $0 = new }
        generation.wrappingAdd(1, ordering: .releasing)
    }
}

/// A principal as one loop knows it: its compiled rules, and its name as the access log and
/// session ownership write it, both made on its first request. One reference, so that a request
/// carries it through its closures for one retain.
final class KnownPrincipal: Sendable {
    let principal: Principal
    let rules: PrincipalRules
    /// `principal.description`.
    let name: String

    init(_ principal: Principal, _ rules: PrincipalRules) {
        self.principal = principal
        self.rules = rules
        name = principal.description
    }
}

/// One loop's view of the policy: the version in force, each principal's compiled rules,
/// and verified JWTs. Confined to its loop, so a request's authentication and decision take
/// no lock and, for a principal seen before, allocate nothing.
final class LoopAccess {
    private var generation: UInt64 = 0
    private(set) var control: AccessControl?
    private var known: [Principal: KnownPrincipal] = [:]
    /// Distinct principals kept compiled; past it the cache starts over (a fleet of JWT
    /// subjects must not grow it without bound).
    static let rulesCapacity = 16_384
    let jwtCache = VerifiedTokenCache()
    /// This loop's share of `--rate-limit`, made on first use.
    var limiter: RateLimiter?
    /// The principal of the request whose handler is being called.
    var handling: KnownPrincipal?
    /// The principal of the request whose handler is being called, and its rules.
    var current: (principal: Principal, rules: PrincipalRules)? { handling.map { ($0.principal, $0.rules) } }

    /// Takes a reload, if there was one since the last request on this loop.
    func refresh(from slot: AccessSlot) -> AccessControl {
        let latest = slot.generation.load(ordering: .acquiring)
        if latest != generation || control == nil {
            control = slot.current
            generation = latest
            known.removeAll()
            tokens.removeAll()
            jwtCache.removeAll()
        }
        return control!
    }

    /// `principal` with its rules under `control`, compiled on its first request.
    /// Opaque bearer tokens seen on this loop, by a keyed 128-bit hash of their bytes (never
    /// the token itself): a device's next request costs two SipHash passes, not a SHA-256 and
    /// a principal's lookup. Emptied with the rest on a reload.
    private var tokens: [TokenKey: KnownPrincipal] = [:]
    static let tokensCapacity = 65_536

    func knownToken(_ key: TokenKey) -> KnownPrincipal? { tokens[key] }

    func remember(_ key: TokenKey, _ known: KnownPrincipal) {
        if tokens.count >= Self.tokensCapacity { tokens.removeAll(keepingCapacity: true) }
        tokens[key] = known
    }

    func known(_ principal: Principal, in control: AccessControl) -> KnownPrincipal {
        if let entry = known[principal] { return entry }
        if known.count >= Self.rulesCapacity { known.removeAll(keepingCapacity: true) }
        let entry = KnownPrincipal(principal, control.policy.rules(for: principal))
        known[principal] = entry
        return entry
    }
}

/// A bearer token's bytes under two independently keyed SipHash passes (the process's random
/// hashing seed, told apart by a prefix): 128 bits that name a token without holding it. To
/// pass for a known token an attacker would have to find bytes with the same keyed hash
/// without knowing the key: no better than guessing the token.
struct TokenKey: Hashable {
    let high: Int
    let low: Int

    init(_ token: UnsafeBufferPointer<UInt8>) {
        var first = Hasher()
        first.combine(0xA5 as UInt8)
        first.combine(bytes: UnsafeRawBufferPointer(token))
        var second = Hasher()
        second.combine(0x5A as UInt8)
        second.combine(bytes: UnsafeRawBufferPointer(token))
        high = first.finalize()
        low = second.finalize()
    }
}
