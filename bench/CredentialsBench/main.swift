// credentials-bench: the cost of each way a request proves who it is, for bench/credentials.sh.
//
//   credentials-bench                 prints ns per operation (median of 5 runs): SHA-256 of a
//                                     43-byte bearer token and of a 600-byte JWT, a bearer-token
//                                     lookup among 10,001, a full verification per algorithm
//                                     (ES256, RS256, EdDSA), a refusal before the signature check,
//                                     a cache hit (hash + lookup), and a full cache's memory
//   credentials-bench hits N          only N cache hits after the set-up, for instruction counts
//                                     under callgrind (run it with N and with 0, and subtract)
//   credentials-bench hashes N        only N SHA-256 digests of the token the hits look up
//
// Keys and tokens come from Python's `cryptography` package at start-up (no key is committed).
import Credentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates a P-256, an RSA 2048 and an Ed25519 key, and prints their JWKS, then one token per
/// key (claims padded so that the ES256 token is about 600 bytes long).
let generator = #"""
import base64, json
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519, padding, utils
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def big(n, size=None): return n.to_bytes(size or (n.bit_length() + 7) // 8, "big")
ec_key = ec.generate_private_key(ec.SECP256R1())
rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ed_key = ed25519.Ed25519PrivateKey.generate()
ecn = ec_key.public_key().public_numbers(); rn = rsa_key.public_key().public_numbers()
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
keys = [
    {"kty": "EC", "crv": "P-256", "kid": "ec", "x": b64(big(ecn.x, 32)), "y": b64(big(ecn.y, 32))},
    {"kty": "RSA", "kid": "rsa", "n": b64(big(rn.n)), "e": b64(big(rn.e))},
    {"kty": "OKP", "crv": "Ed25519", "kid": "ed",
     "x": b64(ed_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))},
]
print(json.dumps({"keys": keys}))
claims = {"sub": "device-000123", "iss": "https://issuer.example", "aud": "zkgate",
          "iat": 1750000000, "exp": 1750003600, "scope": "nodes:read nodes:write",
          "jti": "x" * 182}
def token(alg, kid, sign):
    text = b64(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    return text + "." + b64(sign(text.encode()))
def es256(data):
    r, s = utils.decode_dss_signature(ec_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return big(r, 32) + big(s, 32)
print(token("ES256", "ec", es256))
print(token("RS256", "rsa", lambda d: rsa_key.sign(d, padding.PKCS1v15(), hashes.SHA256())))
print(token("EdDSA", "ed", ed_key.sign))
"""#

func run(_ command: String) -> [String] {
    guard let pipe = popen(command, "r") else { fatalError("cannot run \(command)") }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, pipe)
        if n <= 0 { break }
        output += chunk[0..<n]
    }
    guard pclose(pipe) == 0 else { fatalError("\(command) failed") }
    return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
}

func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Keeps results alive so the optimiser cannot drop the work.
nonisolated(unsafe) var sink: UInt64 = 0

/// ns per call of `body`, the median of 5 runs of `iterations` after a warm-up run.
func measure(_ iterations: Int, _ body: () -> UInt64) -> Double {
    var runs: [Double] = []
    for run in 0...5 {
        let start = nowNs()
        for _ in 0..<iterations { sink &+= body() }
        let elapsed = Double(nowNs() - start) / Double(iterations)
        if run > 0 { runs.append(elapsed) }
    }
    return runs.sorted()[runs.count / 2]
}

let script = "/tmp/credentials-bench-\(getpid()).py"
guard let file = fopen(script, "w") else { fatalError("cannot write \(script)") }
fputs(generator, file)
fclose(file)
let lines = run("python3 \(script)")
unlink(script)
guard lines.count == 4 else { fatalError("the generator printed \(lines.count) lines") }
let keys = try JWKS(json: Array(lines[0].utf8))
let verifier = JWTVerifier(keys: keys, issuer: "https://issuer.example", audience: "zkgate")
let tokens = lines[1...3].map { Array($0.utf8) }
let now: Int64 = 1_750_000_100
for token in tokens { _ = try verifier.verify(token, now: now) }

let bearer = Array("q8bF3v1ZxPjW0YbZr6m9XkP3Jd8Tn2Lc5Ge7Hs4Ua1E".utf8)
let jwt600 = Array(tokens[0].prefix(600))
let cache = VerifiedTokenCache()
_ = try cache.verify(tokens[0], with: verifier, now: now)

let arguments = CommandLine.arguments
if arguments.count == 3, let n = Int(arguments[2]) {
    switch arguments[1] {
    case "hits": for _ in 0..<n { sink &+= UInt64(try cache.verify(tokens[0], with: verifier, now: now).expiresAt) }
    case "hashes": for _ in 0..<n { sink &+= UInt64(SHA256.hash(tokens[0]).hashValue & 1) }
    default: fatalError("usage: credentials-bench [hits|hashes N]")
    }
    print("\(arguments[1]): \(n) (sink \(sink & 1))")
    exit(0)
}

let policy = try BearerTokens((0..<10_000).map { (id: "device-\($0)", sha256: SHA256.digest(Array("token-\($0)".utf8))) }
    + [(id: "bench", sha256: SHA256.digest(bearer))])
extension String {
    var padded: String { self + String(repeating: " ", count: max(1, 44 - count)) }
}

func line(_ name: String, _ ns: Double) { print(name.padded + String(Int(ns.rounded())) + " ns") }

print("token sizes: ES256 \(tokens[0].count), RS256 \(tokens[1].count), EdDSA \(tokens[2].count) bytes")
line("SHA-256, 43-byte bearer token", measure(1_000_000) { UInt64(SHA256.hash(bearer).hashValue & 1) })
line("SHA-256, \(jwt600.count)-byte JWT", measure(300_000) { UInt64(SHA256.hash(jwt600).hashValue & 1) })
line("bearer token identified among 10,001", measure(1_000_000) { UInt64(policy.identify(bearer)?.utf8.count ?? 0) })
for (name, token) in zip(["ES256", "RS256", "EdDSA"], tokens) {
    line("verify \(name) (signature and claims)", measure(2_000) { UInt64((try? verifier.verify(token, now: now))?.expiresAt ?? 0) })
}
// Everything but the public-key operation: decoding, JSON, key selection, then a refusal.
let shortSignature = Array(tokens[0].dropLast(2))
line("refuse ES256 with a 63-byte signature", measure(200_000) {
    (try? verifier.verify(shortSignature, now: now)) == nil ? 1 : 0
})
line("cache hit (SHA-256 + lookup), ES256 token", measure(1_000_000) {
    UInt64((try? cache.verify(tokens[0], with: verifier, now: now))?.expiresAt ?? 0)
})

/// Resident memory in bytes, from /proc/self/statm (Linux); nil elsewhere.
func residentBytes() -> Int? {
    guard let file = fopen("/proc/self/statm", "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 256)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
    let fields = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
    guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
    return pages * sysconf(Int32(_SC_PAGESIZE))
}

// A full cache's memory, each entry's strings allocated apart as parsing allocates them.
let template = try verifier.verify(tokens[0], now: now)
let full = VerifiedTokenCache(capacity: 65_536)
if let before = residentBytes() {
    for i in 0..<65_536 {
        var entry = template
        entry.subject = "device-\(100_000 + i)"
        entry.issuer = String(decoding: Array("https://issuer.example".utf8), as: UTF8.self)
        entry.audience = [String(decoding: Array("zkgate".utf8), as: UTF8.self)]
        full.insert(entry, for: SHA256.hash(Array(entry.subject.utf8)), now: now)
    }
    if let after = residentBytes() {
        print("cache memory, 65,536 entries".padded + "\((after - before) / 65_536) bytes an entry (resident)")
    }
}
