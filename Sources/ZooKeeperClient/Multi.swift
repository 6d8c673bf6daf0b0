/// MultiHeader {int type; bool done; int err}. Requests use err -1; the list ends with {-1, true, -1}.
public struct MultiHeader: JuteRecord {
    public var type: OpCode
    public var done: Bool
    public var err: ErrorCode
    public init(type: OpCode, done: Bool, err: ErrorCode) { self.type = type; self.done = done; self.err = err }
    public static let terminator = MultiHeader(type: .error, done: true, err: ErrorCode(rawValue: -1))
    public func encode(to w: inout JuteWriter) { w.writeInt32(type.rawValue); w.writeBool(done); w.writeInt32(err.rawValue) }
    public init(from r: inout JuteReader) throws(JuteError) {
        type = OpCode(rawValue: try r.readInt32()); done = try r.readBool(); err = ErrorCode(rawValue: try r.readInt32())
    }
}

/// One op of a multi (14). Each is written as MultiHeader{type, false, -1} + its record.
public enum MultiOp: Equatable, Sendable {
    case create(CreateRequest)          // 1
    case create2(CreateRequest)         // 15
    case createContainer(CreateRequest) // 19
    case createTTL(CreateTTLRequest)    // 21
    case delete(DeleteRequest)          // 2
    case setData(SetDataRequest)        // 5
    case check(CheckVersionRequest)     // 13

    public var opCode: OpCode {
        switch self {
        case .create: .create
        case .create2: .create2
        case .createContainer: .createContainer
        case .createTTL: .createTTL
        case .delete: .delete
        case .setData: .setData
        case .check: .check
        }
    }
}

/// MultiRequest: repeated MultiHeader + op record, then the terminator {-1, true, -1}
/// (zs/MultiOperationRecord.java). Decoding an unknown op type throws `.unexpectedValue`.
public struct MultiRequest: JuteRecord {
    public var ops: [MultiOp]
    public init(ops: [MultiOp]) { self.ops = ops }
    public func encode(to w: inout JuteWriter) {
        for op in ops {
            MultiHeader(type: op.opCode, done: false, err: ErrorCode(rawValue: -1)).encode(to: &w)
            switch op {
            case .create(let c), .create2(let c), .createContainer(let c): c.encode(to: &w)
            case .createTTL(let c): c.encode(to: &w)
            case .delete(let d): d.encode(to: &w)
            case .setData(let s): s.encode(to: &w)
            case .check(let c): c.encode(to: &w)
            }
        }
        MultiHeader.terminator.encode(to: &w)
    }
    public init(from r: inout JuteReader) throws(JuteError) {
        var ops: [MultiOp] = []
        while true {
            let h = try MultiHeader(from: &r)
            if h.done { break }
            switch h.type {
            case .create: ops.append(.create(try r.read()))
            case .create2: ops.append(.create2(try r.read()))
            case .createContainer: ops.append(.createContainer(try r.read()))
            case .createTTL: ops.append(.createTTL(try r.read()))
            case .delete: ops.append(.delete(try r.read()))
            case .setData: ops.append(.setData(try r.read()))
            case .check: ops.append(.check(try r.read()))
            default: throw .unexpectedValue(h.type.rawValue)
            }
        }
        self.ops = ops
    }
}

/// One result of a multi reply.
public enum MultiResult: Equatable, Sendable {
    /// Type 1: CreateResponse.
    case create(path: String)
    /// Type 15 (create2/createContainer/createTTL): Create2Response.
    case create2(path: String, stat: Stat)
    /// Type 2, no body.
    case delete
    /// Type 5: SetDataResponse.
    case setData(Stat)
    /// Type 13, no body.
    case check
    /// Type -1: ErrorResponse. In a failed multi every result is an error: 0 before the failing
    /// op, its code at the failing op, RUNTIMEINCONSISTENCY (-2) after it.
    case error(ErrorCode)
}

/// MultiResponse: repeated MultiHeader{type, false, err} + result, then the terminator
/// (zs/MultiResponse.java). The ReplyHeader err is 0 even when an op failed; see `failure`.
public struct MultiResponse: JuteRecord {
    public var results: [MultiResult]
    public init(results: [MultiResult]) { self.results = results }

    /// The results of a multi of `count` ops whose op at `index` failed with `code`, following
    /// the server's rule (0 before, `code` at, -2 after).
    public static func failed(count: Int, at index: Int, code: ErrorCode) -> MultiResponse {
        MultiResponse(results: (0..<count).map { i in
            .error(i < index ? .ok : i == index ? code : .runtimeInconsistency)
        })
    }

    /// The failing op (the first error result that is neither 0 nor -2), if any.
    public var failure: (index: Int, code: ErrorCode)? {
        for (i, r) in results.enumerated() {
            if case .error(let c) = r, c != .ok, c != .runtimeInconsistency { return (i, c) }
        }
        return nil
    }

    public func encode(to w: inout JuteWriter) {
        for result in results {
            switch result {
            case .create(let path):
                MultiHeader(type: .create, done: false, err: .ok).encode(to: &w); w.writeString(path)
            case .create2(let path, let stat):
                MultiHeader(type: .create2, done: false, err: .ok).encode(to: &w)
                w.writeString(path); stat.encode(to: &w)
            case .delete:
                MultiHeader(type: .delete, done: false, err: .ok).encode(to: &w)
            case .setData(let stat):
                MultiHeader(type: .setData, done: false, err: .ok).encode(to: &w); stat.encode(to: &w)
            case .check:
                MultiHeader(type: .check, done: false, err: .ok).encode(to: &w)
            case .error(let code):
                MultiHeader(type: .error, done: false, err: code).encode(to: &w); w.writeInt32(code.rawValue)
            }
        }
        MultiHeader.terminator.encode(to: &w)
    }

    public init(from r: inout JuteReader) throws(JuteError) {
        var results: [MultiResult] = []
        while true {
            let h = try MultiHeader(from: &r)
            if h.done { break }
            switch h.type {
            case .create: results.append(.create(path: try r.readPath()))
            case .create2, .createContainer, .createTTL:
                let c = try Create2Response(from: &r)
                results.append(.create2(path: c.path, stat: c.stat))
            case .delete: results.append(.delete)
            case .setData: results.append(.setData(try r.read()))
            case .check: results.append(.check)
            case .error: results.append(.error(ErrorCode(rawValue: try r.readInt32())))
            default: throw .unexpectedValue(h.type.rawValue)
            }
        }
        self.results = results
    }
}
