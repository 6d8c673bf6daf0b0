extension DataTree {
    /// Deletions for the containers ZooKeeper's `ContainerManager` would remove now: containers
    /// with no children whose stored cversion is above 0, that is, that have had a child. A new
    /// container is spared until its first child, so that a client can create it and then fill
    /// it without a race against the sweep.
    ///
    /// Each transaction is a one-op delete guarded by the node's current version, in path byte
    /// order. Apply them promptly; one that fails (the node gained a child, changed or went) is
    /// harmless and can be dropped. Removing a container can leave its parent container empty;
    /// the next sweep takes that one, as on ZooKeeper.
    public func expiredContainers() -> [Transaction] {
        deletions(of: containers.filter { path in
            let node = nodes[path]!
            return node.children.isEmpty && node.stat.cversion > 0
        })
    }

    /// Deletions for the TTL nodes ZooKeeper would remove at `now` (milliseconds since the epoch):
    /// those with no children whose last data change is more than their TTL ago
    /// (`now - mtime > ttl`, so a node lives for exactly its TTL and goes one millisecond later).
    /// A data change restarts the TTL. The transactions are shaped as for ``expiredContainers()``,
    /// and the version guard keeps a node refreshed in between from being removed.
    public func expiredTTLNodes(now: Int64) -> [Transaction] {
        deletions(of: ttlNodes.filter { path in
            let node = nodes[path]!
            guard node.children.isEmpty, case .ttl(let ttl)? = EphemeralType(ephemeralOwner: node.stat.ephemeralOwner)
            else { return false }
            let (elapsed, overflow) = now.subtractingReportingOverflow(node.stat.mtime)
            return overflow ? now > node.stat.mtime : elapsed > ttl
        })
    }

    private func deletions(of paths: Set<ZNodePath>) -> [Transaction] {
        paths.sorted().map { path in
            .operations([.delete(path: path, version: nodes[path]!.stat.version)], session: nil)
        }
    }
}
