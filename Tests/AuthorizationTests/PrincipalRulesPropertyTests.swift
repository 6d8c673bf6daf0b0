import Authorization
import JSON
import TestSupport
import Testing

/// The compiled rules against a reference written as plainly as possible: for each grant in
/// order, does it apply to the principal, allow the permission (or admin), and does one of its
/// patterns match the path segment by segment. Random policies and requests over a small
/// alphabet, so that patterns and paths meet often.
@Suite("Compiled rules against a reference")
struct PrincipalRulesPropertyTests {
    /// Segments of paths and patterns: short and long (around the hash's 8-byte words),
    /// canonically equivalent spellings, dots, a percent sign, the principals' names.
    static let segments = ["a", "b", "ab", "x", "dev1", "caf\u{E9}", "cafe\u{301}", "seven-7", "eight-88", "nine-999",
                           "sixteen-bytes-16", "seventeen-bytes17", "%2F", "...", "*", ".a"]
    static let names = ["dev1", "a", "ab", "caf\u{E9}", "cafe\u{301}", "seventeen-bytes17"]
    static let alternativeNames = ["dev1.example.com", "a", "x.example.org"]

    struct Grant {
        var who: [String]
        var allow: [Permission]
        var paths: [String]
    }

    struct Request: CustomStringConvertible {
        var kind: Principal.Kind
        var name: String
        var alternativeNames: [String]
        var permission: Permission
        var path: String

        var description: String {
            "\(kind):\(name) san=\(alternativeNames) \(permission) \(JSONWriter.quoted(path))"
        }
    }

    // MARK: the reference

    static func applies(_ entry: String, to request: Request) -> Bool {
        if entry == "anonymous" { return request.kind == .anonymous }
        let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
        if parts[0] == "san" {
            return request.kind == .cert && request.alternativeNames.contains { Array($0.utf8) == Array(parts[1].utf8) }
        }
        guard parts[0] == request.kind.rawValue else { return false }
        return parts[1] == "*" || Array(parts[1].utf8) == Array(request.name.utf8)
    }

    static func split(_ path: String) -> [[UInt8]] {
        path == "/" ? [] : Array(path.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().map(Array.init)
    }

    static func normalized(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        return split(path).allSatisfy { !$0.isEmpty && $0 != Array(".".utf8) && $0 != Array("..".utf8) }
    }

    static func segmentMatches(_ pattern: [UInt8], _ segment: [UInt8], name: [UInt8]?) -> Bool {
        if pattern == Array("*".utf8) { return true }
        let placeholder = Array("{name}".utf8)
        guard pattern.firstRange(of: placeholder) != nil else { return pattern == segment }
        guard let name else { return false }
        return Array(pattern.split(separator: placeholder, omittingEmptySubsequences: false).joined(separator: name)) == segment
    }

    static func matches(_ pattern: ArraySlice<[UInt8]>, _ path: ArraySlice<[UInt8]>, name: [UInt8]?) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == Array("**".utf8) { return pattern.count == 1 }
        guard let segment = path.first, segmentMatches(first, segment, name: name) else { return false }
        return matches(pattern.dropFirst(), path.dropFirst(), name: name)
    }

    static func reference(_ grants: [Grant], _ request: Request) -> Decision {
        guard normalized(request.path) else { return .denied }
        let path = split(request.path)
        let name = request.kind == .anonymous ? nil : Array(request.name.utf8)
        for (i, grant) in grants.enumerated() {
            guard grant.who.contains(where: { applies($0, to: request) }),
                  grant.allow.contains(request.permission) || grant.allow.contains(.admin) else { continue }
            if grant.paths.contains(where: { matches(split($0)[...], path[...], name: name) }) { return .allowed(grant: i) }
        }
        return .denied
    }

    /// A pattern grants a whole subtree at `path` when it ends in `/**` and the rest of it
    /// matches the path or one of its ancestors.
    static func coversSubtree(_ pattern: [[UInt8]], _ path: [[UInt8]], name: [UInt8]?) -> Bool {
        guard pattern.last == Array("**".utf8) else { return false }
        let prefix = pattern.dropLast()
        guard prefix.count <= path.count else { return false }
        return matches(prefix, path.prefix(prefix.count), name: name)
    }

    static func referenceSubtree(_ grants: [Grant], _ request: Request) -> Decision {
        guard normalized(request.path) else { return .denied }
        let path = split(request.path)
        let name = request.kind == .anonymous ? nil : Array(request.name.utf8)
        for (i, grant) in grants.enumerated() {
            guard grant.who.contains(where: { applies($0, to: request) }),
                  grant.allow.contains(request.permission) || grant.allow.contains(.admin) else { continue }
            if grant.paths.contains(where: { coversSubtree(split($0), path, name: name) }) { return .allowed(grant: i) }
        }
        return .denied
    }

    // MARK: random policies and requests

    static func pattern(_ g: inout SeededGenerator) -> String {
        let depth = Int.random(in: 0...4, using: &g)
        var parts: [String] = (0..<depth).map { _ in
            switch Int.random(in: 0..<10, using: &g) {
            case 0, 1: "*"
            case 2: "{name}"
            case 3: ["x{name}", "{name}-1", "{name}{name}"].randomElement(using: &g)!
            default: segments.filter { $0 != "*" }.randomElement(using: &g)!
            }
        }
        if Int.random(in: 0..<3, using: &g) == 0 { parts.append("**") }
        return "/" + parts.joined(separator: "/")
    }

    static func who(_ g: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<8, using: &g) {
        case 0: "anonymous"
        case 1: ["cert:*", "jwt:*", "token:*"].randomElement(using: &g)!
        case 2: "san:" + alternativeNames.randomElement(using: &g)!
        default: ["cert", "jwt", "token"].randomElement(using: &g)! + ":" + names.randomElement(using: &g)!
        }
    }

    static func grant(_ g: inout SeededGenerator) -> Grant {
        Grant(
            who: (0..<Int.random(in: 1...2, using: &g)).map { _ in who(&g) },
            allow: (0..<Int.random(in: 1...2, using: &g)).map { _ in
                Int.random(in: 0..<8, using: &g) == 0 ? .admin : Permission.allCases.randomElement(using: &g)!
            },
            paths: (0..<Int.random(in: 1...3, using: &g)).map { _ in pattern(&g) })
    }

    static func document(_ grants: [Grant]) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("tokens")
        w.beginArray()
        for (i, name) in names.enumerated() {
            w.beginObject()
            w.key("id")
            w.string(name)
            w.key("sha256")
            w.string(String(repeating: String(i, radix: 16), count: 64))
            w.endObject()
        }
        w.endArray()
        w.key("grants")
        w.beginArray()
        for grant in grants {
            w.beginObject()
            w.key("who")
            w.beginArray()
            for entry in grant.who { w.string(entry) }
            w.endArray()
            w.key("allow")
            w.beginArray()
            for permission in grant.allow { w.string(permission.rawValue) }
            w.endArray()
            w.key("paths")
            w.beginArray()
            for path in grant.paths { w.string(path) }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    static func request(_ g: inout SeededGenerator) -> Request {
        let kind = Principal.Kind.allCases.randomElement(using: &g)!
        let name = kind == .anonymous ? "" : names.randomElement(using: &g)!
        let alternativeNames = kind == .cert ? alternativeNames.filter { _ in Bool.random(using: &g) } : []
        var parts: [String] = (0..<Int.random(in: 0...6, using: &g)).map { _ in
            switch Int.random(in: 0..<6, using: &g) {
            case 0: name.isEmpty ? "a" : name
            case 1: "x" + (name.isEmpty ? "a" : name)
            default: segments.randomElement(using: &g)!
            }
        }
        // Now and then a path that is not normalized.
        if Int.random(in: 0..<8, using: &g) == 0, !parts.isEmpty {
            parts.insert(["", ".", ".."].randomElement(using: &g)!, at: Int.random(in: 0...parts.count, using: &g))
        }
        var path = "/" + parts.joined(separator: "/")
        if Int.random(in: 0..<30, using: &g) == 0 { path += "/" }
        if Int.random(in: 0..<60, using: &g) == 0 { path = String(path.dropFirst()) }
        return Request(kind: kind, name: name, alternativeNames: alternativeNames,
                       permission: Permission.allCases.randomElement(using: &g)!, path: path)
    }

    // MARK: the property

    @Test(arguments: 0..<8)
    func compiledRulesDecideAsTheReference(run: UInt64) throws {
        var disagreements = 0
        var allowed = 0
        var decided = 0
        for k in 0..<300 as Range<UInt64> {
            let seed = 0xA17B_0000 &+ run &* 1_000 &+ k
            var g = SeededGenerator(seed: seed)
            let grants = (0..<Int.random(in: 1...(Bool.random(using: &g) ? 6 : 40), using: &g)).map { _ in Self.grant(&g) }
            let bytes = Self.document(grants)
            let policy = try Policy(json: bytes)
            var cache: [Principal: PrincipalRules] = [:]
            for _ in 0..<40 {
                let request = Self.request(&g)
                let principal = try Principal(kind: request.kind, name: request.name, alternativeNames: request.alternativeNames)
                let rules = cache[principal] ?? policy.rules(for: principal)
                cache[principal] = rules
                let decision = rules.decide(request.permission, path: request.path)
                let expected = Self.reference(grants, request)
                let subtree = rules.decideSubtree(request.permission, path: request.path)
                let expectedSubtree = Self.referenceSubtree(grants, request)
                if subtree != expectedSubtree {
                    disagreements += 1
                    Issue.record("seed \(seed): \(request) subtree decided \(subtree), the reference \(expectedSubtree)")
                }
                decided += 1
                if decision.isAllowed { allowed += 1 }
                if decision != expected {
                    disagreements += 1
                    if disagreements <= 3 {
                        Issue.record("""
                            seed \(seed): \(request) decided \(decision), the reference \(expected)
                            policy: \(String(decoding: bytes, as: UTF8.self))
                            """)
                    }
                } else if decided % 16 == 0 {
                    let explanation = policy.explain(who: principal, permission: request.permission, path: request.path)
                    if case .allowed(let grant) = decision {
                        #expect(explanation.hasPrefix("allowed: grants[\(grant)].paths["), "seed \(seed): \(explanation)")
                    } else {
                        #expect(explanation.hasPrefix("denied: "), "seed \(seed): \(explanation)")
                    }
                }
            }
        }
        #expect(disagreements == 0)
        // The generator must produce both outcomes in earnest, or the property says little.
        #expect(allowed > decided / 20, "\(allowed) of \(decided) allowed")
        #expect(allowed < decided * 19 / 20, "\(allowed) of \(decided) allowed")
    }
}
