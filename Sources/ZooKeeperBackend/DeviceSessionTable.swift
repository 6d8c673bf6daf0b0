/// The device sessions this gateway serves, with their deadlines and the ephemerals they made.
/// A renewal moves a deadline here; the renewals of each quarter second reach ZooKeeper
/// together, as one multi touching the records, so that other gateways holding the session
/// see them.
struct DeviceSessionTable: Sendable {
    struct Entry: Sendable {
        var timeoutMs: Int64
        /// Milliseconds on the store's clock after which the session is expired.
        var deadlineMs: Int64
        var ephemerals: Set<String> = []
        /// Set once closing or expiring began: nothing more may be created for it.
        var closing = false
        /// Renewed since the records were last touched.
        var renewed = false
    }

    var entries: [Int64: Entry] = [:]
    /// Ephemeral path → the device session that made it.
    var owners: [String: Int64] = [:]
    /// Ephemeral path → its entry in the session's index, for those made here: deleted with
    /// the node, so that a session that cycles a lock does not pile up stale entries.
    var indexEntries: [String: String] = [:]

    /// The sessions past their deadline and not closing yet.
    func pastDeadline(nowMs: Int64) -> [Int64] {
        entries.compactMap { id, entry in !entry.closing && entry.deadlineMs <= nowMs ? id : nil }
    }

    /// Marks a session closing if it is still past its deadline; true for the one caller that
    /// then expires it.
    mutating func beginExpiry(_ id: Int64, nowMs: Int64) -> Bool {
        guard let entry = entries[id], !entry.closing, entry.deadlineMs <= nowMs else { return false }
        entries[id]?.closing = true
        return true
    }

    mutating func addEphemeral(_ path: String, session: Int64) -> Bool {
        guard entries[session]?.closing == false else { return false }
        entries[session]?.ephemerals.insert(path)
        owners[path] = session
        return true
    }

    /// Removes a deleted ephemeral; returns its index entry's path, when this gateway made it.
    @discardableResult
    mutating func removeEphemeral(_ path: String) -> String? {
        let entry = indexEntries.removeValue(forKey: path)
        guard let session = owners.removeValue(forKey: path) else { return entry }
        entries[session]?.ephemerals.remove(path)
        return entry
    }

    /// The sessions renewed since the last call, with their timeouts, marked clean.
    mutating func takeRenewed() -> [(id: Int64, timeoutMs: Int64)] {
        var renewed: [(id: Int64, timeoutMs: Int64)] = []
        for (id, entry) in entries where entry.renewed && !entry.closing {
            entries[id]?.renewed = false
            renewed.append((id, entry.timeoutMs))
        }
        return renewed
    }

    /// Forgets a session and its ephemerals.
    mutating func remove(_ session: Int64) {
        guard let entry = entries.removeValue(forKey: session) else { return }
        for path in entry.ephemerals {
            owners.removeValue(forKey: path)
            indexEntries.removeValue(forKey: path)
        }
    }

    /// The gateway's ZooKeeper session was lost: the ensemble deleted every ephemeral it owned.
    mutating func dropAllEphemerals() {
        owners.removeAll()
        indexEntries.removeAll()
        for id in entries.keys { entries[id]?.ephemerals.removeAll() }
    }
}
