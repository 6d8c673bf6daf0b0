/// One read of a multiRead (22): only getData (4) and getChildren (8) are allowed. Each is
/// written as MultiHeader{type, false, -1} + {ustring path; bool watch}.
public enum ReadOp: Equatable, Sendable {
    case getData(String)
    case getChildren(String)

    var opCode: OpCode {
        switch self {
        case .getData: .getData
        case .getChildren: .getChildren
        }
    }
    var path: String {
        switch self {
        case .getData(let p), .getChildren(let p): p
        }
    }
}

/// MultiRead request (op 22): reads answered from one state of the member's tree, so a node's
/// data, stat and children come out consistent with one another. Reads leave no watches here.
public struct MultiReadRequest: JuteRecord {
    public var ops: [ReadOp]
    public init(ops: [ReadOp]) { self.ops = ops }
    public func encode(to w: inout JuteWriter) {
        for op in ops {
            MultiHeader(type: op.opCode, done: false, err: ErrorCode(rawValue: -1)).encode(to: &w)
            PathWatchRequest(path: op.path, watch: false).encode(to: &w)
        }
        MultiHeader.terminator.encode(to: &w)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        var ops: [ReadOp] = []
        while true {
            let h = try MultiHeader(from: &r)
            if h.done { break }
            let request = try PathWatchRequest(from: &r)
            switch h.type {
            case .getData: ops.append(.getData(request.path))
            case .getChildren: ops.append(.getChildren(request.path))
            default: throw .unexpectedValue(h.type.rawValue)
            }
        }
        self.ops = ops
    }
}

/// One result of a multiRead. Unlike a write multi, each read fails on its own (a missing
/// node is `.error(.noNode)` for that read only).
public enum ReadOpResult: Equatable, Sendable {
    case data([UInt8], Stat)
    /// getChildren (8) carries no stat; pair it with a getData of the same path.
    case children([String])
    case error(ErrorCode)
}

/// MultiRead response: MultiHeader{4, false, 0} + GetDataResponse, MultiHeader{8, false, 0} +
/// {vector<ustring> children}, or MultiHeader{-1, false, err} + ErrorResponse; then the
/// terminator.
public struct MultiReadResponse: JuteRecord {
    public var results: [ReadOpResult]
    public init(results: [ReadOpResult]) { self.results = results }
    public func encode(to w: inout JuteWriter) {
        for result in results {
            switch result {
            case .data(let data, let stat):
                MultiHeader(type: .getData, done: false, err: .ok).encode(to: &w)
                GetDataResponse(data: data, stat: stat).encode(to: &w)
            case .children(let children):
                MultiHeader(type: .getChildren, done: false, err: .ok).encode(to: &w)
                w.writeStringVector(children)
            case .error(let code):
                MultiHeader(type: .error, done: false, err: code).encode(to: &w)
                w.writeInt32(code.rawValue)
            }
        }
        MultiHeader.terminator.encode(to: &w)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        var results: [ReadOpResult] = []
        while true {
            let h = try MultiHeader(from: &r)
            if h.done { break }
            switch h.type {
            case .getData:
                let d = try GetDataResponse(from: &r)
                results.append(.data(d.data ?? [], d.stat))
            case .getChildren: results.append(.children(try r.readStringVector() ?? []))
            case .error: results.append(.error(ErrorCode(rawValue: try r.readInt32())))
            default: throw .unexpectedValue(h.type.rawValue)
            }
        }
        self.results = results
    }
}
