import HTTPCore

/// Answers a request: at once, or later through `RequestContext.deferResponse`.
public typealias HTTPHandler = @Sendable (HTTPRequest, RequestContext) -> HandlerResult

/// What a handler did with its request.
public enum HandlerResult: Sendable {
    case response(HTTPResponse)
    /// The handler took a `DeferredResponse` and will answer through it.
    case deferred
}

/// Maps method and path to a handler. Patterns are literal segments, `{name}` for one
/// non-empty segment, and a final `{name...}` for the rest of the path (slashes included,
/// possibly empty). Literals win over parameters, parameters over tails. Built once at
/// start-up; a literal path is found by comparing it with the literal routes of its length,
/// with no allocation.
public struct Router: Sendable {
    /// Handlers of one path by method. A short array: a linear scan of a few small strings
    /// beats hashing one.
    struct MethodTable: Sendable {
        /// A struct, not a tuple: a function inside a tuple in an array is stored at the
        /// array's generic abstraction, and each lookup allocated a reabstraction thunk.
        struct Entry: Sendable {
            let method: HTTPMethod
            let handler: HTTPHandler
        }
        var entries: [Entry] = []
        var isEmpty: Bool { entries.isEmpty }
        subscript(method: HTTPMethod) -> HTTPHandler? {
            get {
                for entry in entries where entry.method == method { return entry.handler }
                return nil
            }
            set {
                entries.removeAll { $0.method == method }
                if let newValue { entries.append(Entry(method: method, handler: newValue)) }
            }
        }
        var methods: [HTTPMethod] { entries.map(\.method) }
    }

    final class Node: @unchecked Sendable {
        var literals: [String: Node] = [:]
        var parameter: (name: String, node: Node)?
        var tail: (name: String, handlers: MethodTable)?
        var handlers = MethodTable()
    }

    let root = Node()
    /// Parameterless routes, compared by length first, then bytes.
    var exact: [(path: String, bytes: [UInt8], handlers: MethodTable)] = []

    public init() {}

    /// Adds a route.
    ///
    /// - Precondition: the pattern starts with `/`, and `{name...}` is its last segment.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPHandler) {
        precondition(pattern.hasPrefix("/"), "route pattern must start with /: \(pattern)")
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if !segments.contains(where: { $0.hasPrefix("{") }) {
            if let i = exact.firstIndex(where: { $0.path == pattern }) {
                exact[i].handlers[method] = handler
            } else {
                var table = MethodTable()
                table[method] = handler
                exact.append((pattern, Array(pattern.utf8), table))
            }
            return
        }
        var node = root
        for (i, segment) in zip(0..., segments) {
            if segment.hasPrefix("{") && segment.hasSuffix("...}") {
                precondition(i == segments.count - 1, "{name...} must be the last segment: \(pattern)")
                var handlers = node.tail?.handlers ?? MethodTable()
                handlers[method] = handler
                node.tail = (String(segment.dropFirst().dropLast(4)), handlers)
                return
            } else if segment.hasPrefix("{") && segment.hasSuffix("}") {
                if node.parameter == nil { node.parameter = (String(segment.dropFirst().dropLast()), Node()) }
                node = node.parameter!.node
            } else {
                let next = node.literals[String(segment)] ?? Node()
                node.literals[String(segment)] = next
                node = next
            }
        }
        node.handlers[method] = handler
    }

    /// The outcome of matching a request.
    public enum Match {
        case found(HTTPHandler, [(String, String)])
        case notFound
        /// The path exists for other methods; `allow` lists them (HEAD implied by GET).
        case methodNotAllowed(allow: [HTTPMethod])
        /// The path cannot be decoded (bad percent-encoding, an encoded slash, or NUL).
        case badPath
    }

    /// Finds the handler for `method` and a raw (still percent-encoded) `path`.
    /// HEAD falls back to GET; the server then drops the body. A route that matches the path
    /// and the method wins over one that matches only the path, wherever it is in the table.
    public func match(method: HTTPMethod, path: Substring) -> Match {
        var best = Match.notFound
        if let table = exactTable(path) {
            let result = Self.pick(table, method, [])
            if case .found = result { return result }
            best = result
        } else if Self.hasPercent(path) {
            // `/heal%74hz` is `/healthz`: compare literal routes after decoding.
            guard let decoded = PercentDecoding.decodePath(path) else { return .badPath }
            if let table = exactTable(Substring(decoded)) {
                let result = Self.pick(table, method, [])
                if case .found = result { return result }
                best = result
            }
        }
        return Self.better(best, Self.match(root, path, method, []))
    }

    /// Over the path's bytes: `Substring.UTF8View.contains` walks them generically, at several
    /// times the cost, on every request that is not a literal route.
    private static func hasPercent(_ path: Substring) -> Bool {
        var raw = path
        return raw.withUTF8 { $0.contains(UInt8(ascii: "%")) }
    }

    private func exactTable(_ path: Substring) -> MethodTable? {
        var raw = path
        let hit = raw.withUTF8 { bytes -> Int? in
            for (i, route) in exact.enumerated() where route.bytes.count == bytes.count {
                if route.bytes.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) { return i }
            }
            return nil
        }
        return hit.map { exact[$0].handlers }
    }

    /// Walks the tree over the path's UTF-8 bytes: `start` is the offset of a `/` (or the end).
    /// Tries literal, then parameter, then tail, keeping the best outcome: found, else
    /// method-not-allowed (allow lists merged), else the rest.
    private static func match(_ node: Node, _ path: Substring, _ method: HTTPMethod, _ params: [(String, String)])
        -> Match
    {
        var text = path
        return text.withUTF8 { bytes in match(node, bytes, 0, method, params) }
    }

    private static func match(
        _ node: Node, _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ method: HTTPMethod, _ params: [(String, String)]
    ) -> Match {
        if start >= bytes.count {
            var best = Match.notFound
            if !node.handlers.isEmpty {
                best = pick(node.handlers, method, params)
                if case .found = best { return best }
            }
            if let tail = node.tail { best = better(best, pick(tail.handlers, method, params + [(tail.name, "")])) }
            return best
        }
        let segmentStart = start + 1
        var segmentEnd = segmentStart
        while segmentEnd < bytes.count && bytes[segmentEnd] != UInt8(ascii: "/") { segmentEnd += 1 }
        var best = Match.notFound
        if let segment = PercentDecoding.decodePath(UnsafeBufferPointer(rebasing: bytes[segmentStart..<segmentEnd])) {
            if let next = node.literals[segment] {
                best = better(best, match(next, bytes, segmentEnd, method, params))
                if case .found = best { return best }
            }
            if let parameter = node.parameter, !segment.isEmpty {
                best = better(best, match(parameter.node, bytes, segmentEnd, method, params + [(parameter.name, segment)]))
                if case .found = best { return best }
            }
        } else {
            best = .badPath
        }
        if let tail = node.tail {
            guard let decoded = PercentDecoding.decodePath(UnsafeBufferPointer(rebasing: bytes[segmentStart...])) else {
                return better(best, .badPath)
            }
            best = better(best, pick(tail.handlers, method, params + [(tail.name, decoded)]))
        }
        return best
    }

    /// The more useful of two outcomes for the same request.
    static func better(_ a: Match, _ b: Match) -> Match {
        switch (a, b) {
        case (.found, _): return a
        case (_, .found): return b
        case (.methodNotAllowed(let x), .methodNotAllowed(let y)):
            return .methodNotAllowed(allow: Array(Set(x + y)).sorted { $0.rawValue < $1.rawValue })
        case (.methodNotAllowed, _): return a
        case (_, .methodNotAllowed): return b
        case (.badPath, _): return a
        case (_, .badPath): return b
        default: return .notFound
        }
    }

    static func pick(_ handlers: MethodTable, _ method: HTTPMethod, _ params: [(String, String)]) -> Match {
        if let handler = handlers[method] { return .found(handler, params) }
        if method == .head, let handler = handlers[.get] { return .found(handler, params) }
        var allow = handlers.methods
        if handlers[.get] != nil && handlers[.head] == nil { allow.append(.head) }
        allow.sort { $0.rawValue < $1.rawValue }
        return .methodNotAllowed(allow: allow)
    }
}
