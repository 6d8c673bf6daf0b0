import Authorization
import Coordination
import HTTPServer
import Recipes

/// Who opened each device session, kept where every replica and every restart finds it: an
/// ephemeral node of the session itself, `/zkgate/owners/<principal>/<session>`. It lives
/// exactly as long as the session; its folder's child count is the principal's open sessions
/// (for `--max-sessions-per-principal`); it costs one write per session open (with a policy
/// only); and the internal-subtree rule keeps the node API away from it. Principal names are
/// checked safe for a path segment before they get here.
extension Gateway {
    static let ownersRoot = try! ZNodePath(validating: "/zkgate/owners")

    static func ownerFolder(_ principal: String) throws(CoordinationError) -> ZNodePath {
        try ownersRoot.appending(principal)
    }

    static func ownerPath(_ id: Int64, _ principal: String) throws(CoordinationError) -> ZNodePath {
        try ownerFolder(principal).appending(SessionID.format(id))
    }

    /// Records `owner` as the principal of session `id`.
    ///
    /// - Throws: the backend's error (the caller closes the session: one without an owner
    ///   could be used by no one but an administrator).
    func recordOwner(_ id: Int64, _ owner: String) async throws(CoordinationError) {
        let record = Operation.create(path: try Self.ownerPath(id, owner), data: [], mode: .ephemeral)
        // The principal's folder is a container (gone when its last session ends): it may
        // vanish between its creation and the record's, hence a few rounds.
        for _ in 0..<4 {
            do {
                _ = try await backend.commit([record], session: id)
                return
            } catch {
                guard case .noNode = error.error else { throw error.error }
            }
            let folders: [(ZNodePath, CreateMode)] = [
                (Self.ownersRoot.parent!, .persistent), (Self.ownersRoot, .persistent), (try Self.ownerFolder(owner), .container),
            ]
            for (folder, mode) in folders {
                do {
                    _ = try await backend.commit([.create(path: folder, data: [], mode: mode)], session: nil)
                } catch {
                    guard case .nodeExists = error.error else { throw error.error }
                }
            }
        }
        throw .unavailable("the owner record of session \(SessionID.format(id)) could not be made")
    }

    /// Whether `principal` opened session `id` (and it has not ended). A miss is confirmed
    /// after a sync, so a session opened a moment ago through another replica is found.
    func owns(_ principal: String, _ id: Int64) async -> Bool {
        guard let path = try? Self.ownerPath(id, principal) else { return false }
        if let read = backend.readNow(path, children: false), read.node != nil { return true }
        do {
            if try await backend.read(path, children: false).node != nil { return true }
            _ = try await backend.sync(path)
            return try await backend.read(path, children: false).node != nil
        } catch {
            return false
        }
    }

    /// The device sessions `principal` has open, on every replica. Read from the backend, not
    /// a cache: the gateway's records make no change events to keep a cache current.
    func sessionCount(of principal: String) async throws(CoordinationError) -> Int {
        try await backend.read(try Self.ownerFolder(principal), children: false).node.map { Int($0.stat.numChildren) } ?? 0
    }

    /// Whether the principal of the request being handled may write a node it did not name
    /// (an ancestor `?parents=true` creates); nil without a policy and for administrators.
    /// Call it in the handler, on the loop.
    func writePermission(_ state: LoopState) -> (@Sendable (ZNodePath) -> Bool)? {
        guard accessSlot != nil, let (_, rules) = state.access.current, !rules.isAdministrator else { return nil }
        let internalRoots = backend.internalRoots
        return { path in
            !internalRoots.contains { path.isWithin($0) } && rules.decide(.write, path: path.string).isAllowed
        }
    }

    /// Whether the principal of the request being handled may act on a device session it
    /// names only through a token (a lock's release, a resignation): its own, or any for an
    /// administrator, or any at all without a policy. Call it in the handler, on the loop.
    func sessionPermission(_ context: RequestContext) -> @Sendable (Int64) async -> Bool {
        guard accessSlot != nil, let (principal, rules) = state(context).access.current, !rules.isAdministrator else {
            return { _ in true }
        }
        let owner = principal.description
        return { [self] session in await self.owns(owner, session) }
    }
}
