import ZooKeeperClient

/// Every node the gateway creates goes through here, so that it carries the ACL its path
/// calls for (`acl(for:)`): a create that bypassed this would fall back to the client's open
/// default.
extension ZooKeeperStore {
    /// The ACL of a node zkgate creates at `path` (below the chroot): the internal one in the
    /// record root, the ordinary one elsewhere.
    func acl(for path: String) -> [ACL] {
        let root = configuration.recordRoot
        let isInternal = path == root || (path.hasPrefix(root) && path.utf8.dropFirst(root.utf8.count).first == UInt8(ascii: "/"))
        return isInternal ? configuration.acls.internal : configuration.acls.ordinary
    }

    /// Creates `path` with the ACL for it.
    ///
    /// - Throws: what `ZooKeeperClient.create` throws: `.server(.nodeExists)`,
    ///   `.server(.noNode)`, `.server(.noAuth)` (an ACL above it leaves the gateway out), and
    ///   the connection errors.
    @discardableResult
    func createNode(_ path: String, data: [UInt8], mode: CreateMode = .persistent, ttlMs: Int64? = nil)
        async throws(ZooKeeperError) -> (path: String, stat: WireStat)
    {
        try await client.create(path, data: data, mode: mode, acl: acl(for: path), ttlMs: ttlMs)
    }

    /// Creates an empty `path` unless it exists.
    func ensureNode(_ path: String) async throws(ZooKeeperError) {
        do { try await createNode(path, data: []) } catch .server(.nodeExists) {}
    }

    /// A create inside a multi, with the ACL for its path.
    func createOp(_ path: String, data: [UInt8]) -> MultiOp {
        .create(CreateRequest(path: path, data: data, acl: acl(for: path), flags: 0))
    }
}
