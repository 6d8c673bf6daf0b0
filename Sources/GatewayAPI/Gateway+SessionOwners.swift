import Coordination
import HTTPServer
import Recipes

/// Who opened each device session, kept where every replica and every restart finds it: an
/// ephemeral node of the session itself under `/zkgate/owners`, holding the principal's name.
/// It lives exactly as long as the session, costs one write per session open (with a policy
/// only), and the internal-subtree rule keeps the node API away from it.
extension Gateway {
    static let ownersRoot = try! ZNodePath(validating: "/zkgate/owners")

    static func ownerPath(_ id: Int64) -> ZNodePath {
        try! ownersRoot.appending(SessionID.format(id))
    }

    /// Records `owner` as the principal of session `id`.
    ///
    /// - Throws: the backend's error (the caller closes the session: one without an owner
    ///   could be used by no one but an administrator).
    func recordOwner(_ id: Int64, _ owner: String) async throws(CoordinationError) {
        let record = Operation.create(path: Self.ownerPath(id), data: Array(owner.utf8), mode: .ephemeral)
        do {
            _ = try await backend.commit([record], session: id)
        } catch {
            guard case .noNode = error.error else { throw error.error }
            // The first session under a policy: make the folders, then the record.
            for folder in [Self.ownersRoot.parent!, Self.ownersRoot] {
                do {
                    _ = try await backend.commit([.create(path: folder, data: [], mode: .persistent)], session: nil)
                } catch {
                    guard case .nodeExists = error.error else { throw error.error }
                }
            }
            do { _ = try await backend.commit([record], session: id) } catch { throw error.error }
        }
    }

    /// The principal that opened session `id`, or nil when it has no owner record (ended, or
    /// opened while no policy was in force). A miss is confirmed after a sync, so a session
    /// opened a moment ago through another replica is found.
    func owner(of id: Int64) async -> String? {
        let path = Self.ownerPath(id)
        if let read = backend.readNow(path, children: false), let node = read.node {
            return String(decoding: node.data, as: UTF8.self)
        }
        do {
            if let node = try await backend.read(path, children: false).node { return String(decoding: node.data, as: UTF8.self) }
            _ = try await backend.sync(path)
            return try await backend.read(path, children: false).node.map { String(decoding: $0.data, as: UTF8.self) }
        } catch {
            return nil
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
        return { [self] session in await self.owner(of: session) == owner }
    }
}
