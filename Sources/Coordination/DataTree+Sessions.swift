extension DataTree {
    mutating func createSession(id: Int64, timeoutMs: Int64) throws(CoordinationError) {
        guard EphemeralType.isValidSessionID(id) else {
            throw .badArguments(
                "session id \(CoordinationError.hex(id)) is reserved: 0, 0x8000000000000000 and ids with a "
                    + "high byte of 0xff encode other node types")
        }
        guard timeoutMs > 0 else { throw .badArguments("session timeout must be positive, not \(timeoutMs) ms") }
        guard sessions[id] == nil else {
            throw .badArguments("session \(CoordinationError.hex(id)) already exists")
        }
        sessions[id] = timeoutMs
        storedBytes += Self.sessionBytes
    }

    /// Deletes the session's ephemerals in byte order of their paths (ZooKeeper walks a hash
    /// set; any order gives the same tree, since ephemerals are leaves, and a fixed one makes the
    /// events reproducible), then forgets the session.
    mutating func closeSession(id: Int64, _ changes: inout Changes) {
        guard sessions[id] != nil else { return }
        for path in (ephemeralIndex[id] ?? []).sorted() {
            unlinkLeaf(at: path, &changes)
        }
        sessions[id] = nil
        storedBytes -= Self.sessionBytes
        ephemeralIndex[id] = nil
    }
}
