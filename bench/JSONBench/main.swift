// json-bench: JSONParser on the worst shapes of body, for bench/json.sh.
//
//   json-bench generate DIR     writes DIR/<shape>-<KiB>.json for each shape at 256, 512 and
//                               1024 KiB (each body within a few bytes under its size)
//   json-bench time DIR [RUNS]  parses each file RUNS times (default 5) after one warm-up and
//                               prints "<file> <median ms> <outcome> <median ms> <outcome>"
//                               per line: under limits raised out of the way (the parser's own
//                               cost at any size), then under the default limits, as the
//                               gateway parses bodies (which refuse some shapes early)
import JSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let sizesKiB = [256, 512, 1024]

/// Appends `piece(i)` for i = 0, 1, ... (separated by `separator`) while the body stays within
/// `size` once `close` is added.
func fill(_ size: Int, open: String, close: String, separator: String = ",", _ piece: (Int) -> String) -> [UInt8] {
    var out = Array(open.utf8)
    out.reserveCapacity(size)
    var i = 0
    while true {
        let next = Array(((i == 0 ? "" : separator) + piece(i)).utf8)
        if out.count + next.count + close.utf8.count > size { break }
        out += next
        i += 1
    }
    return out + Array(close.utf8)
}

let shapes: [(String, (Int) -> [UInt8])] = [
    // {"k0000000":0,"k0000001":0,...}: about 87,000 members at 1 MiB.
    ("many-keys", { size in fill(size, open: "{", close: "}") { "\"k\(String(1_000_000 + $0).dropFirst())\":\($0 % 10)" } }),
    // [[[...[0]...]],...]: 63 arrays in the outermost one, so 64 deep, the default limit.
    ("deep-nesting", { size in
        let nest = String(repeating: "[", count: 63) + "0" + String(repeating: "]", count: 63)
        return fill(size, open: "[", close: "]") { _ in nest }
    }),
    // One string of plain text and every kind of escape.
    ("long-string", { size in
        fill(size, open: "\"", close: "\"", separator: "") { _ in #"plain text, \"quoted\" \\ \/ \b\f\n\r\t \u00e9\u20ac \uD83D\uDE00 é€😀 "# }
    }),
    // [0,17,-3,4.5,1e3,...]: about 200,000 short numbers at 1 MiB.
    ("many-numbers", { size in
        let numbers = ["0", "17", "-3", "4.5", "1e3", "255", "-0.25", "42"]
        return fill(size, open: "[", close: "]") { numbers[$0 % numbers.count] }
    }),
    // [{"id":0,"ok":true,"name":"n0"},...]: a large array of small objects.
    ("large-array", { size in fill(size, open: "[", close: "]") { "{\"id\":\($0),\"ok\":true,\"name\":\"n\($0)\"}" } }),
]

let raised = JSONParser.Limits(maxDepth: 64, maxMembers: .max, maxElements: .max, maxStringBytes: .max)

func readFile(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fatalError("cannot open \(path)") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    guard let f = fopen(path, "wb") else { fatalError("cannot write \(path)") }
    _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
}

func nowNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Median milliseconds of `runs` parses after a warm-up, and what the parse gave.
func time(_ bytes: [UInt8], limits: JSONParser.Limits, runs: Int) -> (Double, String) {
    func once() -> String {
        do throws(JSONError) {
            let value = try JSONParser.parse(bytes, limits: limits)
            return "ok:\(value.typeName)"
        } catch {
            return error.limitExceeded.map { "refused:\($0.limit.name)" } ?? "error"
        }
    }
    var outcome = once()
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = nowNs()
        outcome = once()
        samples.append(Double(nowNs() - start) / 1e6)
    }
    samples.sort()
    return (samples[samples.count / 2], outcome)
}

/// `ms` with three decimals.
func milliseconds(_ ms: Double) -> String {
    let micro = Int((ms * 1000).rounded())
    let fraction = String(micro % 1000)
    return "\(micro / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print("usage: json-bench generate DIR | json-bench time DIR [RUNS]")
    exit(2)
}
let directory = arguments[2]
switch arguments[1] {
case "generate":
    for (name, make) in shapes {
        for kib in sizesKiB { writeFile("\(directory)/\(name)-\(kib).json", make(kib << 10)) }
    }
case "time":
    let runs = arguments.count > 3 ? Int(arguments[3]) ?? 5 : 5
    for (name, _) in shapes {
        for kib in sizesKiB {
            let file = "\(name)-\(kib).json"
            let bytes = readFile("\(directory)/\(file)")
            let (ms, outcome) = time(bytes, limits: raised, runs: runs)
            let (defaultMs, defaultOutcome) = time(bytes, limits: .default, runs: runs)
            print(file, milliseconds(ms), outcome, milliseconds(defaultMs), defaultOutcome)
        }
    }
default:
    print("usage: json-bench generate DIR | json-bench time DIR [RUNS]")
    exit(2)
}
