extension Operation {
    /// The checks that need no tree: a sequential prefix only where a sequential create takes
    /// one, the data size, and the TTL rules. Every backend runs them first, so all report
    /// these errors alike, whatever their store.
    ///
    /// - Throws: `.invalidPath` for a sequential prefix used as a node path, `.dataTooLarge`,
    ///   `.badArguments` for a TTL mode without a TTL in 1 ... ``EphemeralType/maxTTL`` or a
    ///   TTL on another mode.
    public func validateArguments() throws(CoordinationError) {
        switch self {
        case .create(let path, let data, let mode, let ttlMs):
            if !mode.isSequential { try Self.requireNodePath(path) }
            try Self.requireDataSize(data)
            if mode.isTTL {
                guard let ttlMs, (1...EphemeralType.maxTTL).contains(ttlMs) else {
                    throw .badArguments(
                        "a \(mode.rawValue) node needs a TTL of 1...\(EphemeralType.maxTTL) ms, not "
                            + (ttlMs.map { "\($0)" } ?? "none"))
                }
            } else if let ttlMs {
                throw .badArguments("a TTL (\(ttlMs) ms) is only valid for ttl modes, not \(mode.rawValue)")
            }
        case .delete(let path, _), .check(let path, _):
            try Self.requireNodePath(path)
        case .setData(let path, let data, _):
            try Self.requireNodePath(path)
            try Self.requireDataSize(data)
        }
    }

    /// Rejects a sequential prefix where a node path is needed, with the reason a plain
    /// validation gives.
    static func requireNodePath(_ path: ZNodePath) throws(CoordinationError) {
        if path.isSequentialPrefix { _ = try ZNodePath(validating: path.string) }
    }

    static func requireDataSize(_ data: [UInt8]) throws(CoordinationError) {
        if data.count > DataTree.maxDataSize { throw .dataTooLarge(size: data.count, limit: DataTree.maxDataSize) }
    }
}
