/// The primitive changes every operation is built from. Each keeps the derived indexes in step
/// with `nodes`, and each has an exact inverse in ``DataTree/UndoStep``.
extension DataTree {
    /// Undoes one primitive change. A failed multi replays its steps backwards, which returns
    /// the tree to the state before the transaction, indexes included.
    enum UndoStep {
        /// The node was inserted.
        case removeInserted(ZNodePath)
        /// The node was removed (it had no children, so the saved copy is small).
        case reinsert(ZNodePath, Node)
        /// The node's data or stat changed. The children are left alone: restoring a saved set
        /// would copy it, which costs a directory's size on every change below it.
        case restore(ZNodePath, data: [UInt8], stat: PersistedStat)
        /// A child was added to the parent's set.
        case unlink(parent: ZNodePath, NodeName)
        /// A child was removed from the parent's set.
        case relink(parent: ZNodePath, NodeName)
    }

    /// A snapshot's fixed part: magic, format, lastZxid and the two counts.
    static let snapshotHeaderBytes = 4 + 1 + 8 + 4 + 4
    /// A session in a snapshot: id and timeout.
    static let sessionBytes = 16

    /// A node in a snapshot: its path and data, each with a u32 length, and nine stat fields.
    @inline(__always)
    static func nodeBytes(path: ZNodePath, dataCount: Int) -> Int {
        4 + path.string.utf8.count + 4 + dataCount + 4 * 8 + 3 * 4 + 8 + 8
    }

    mutating func insertNode(_ node: Node, at path: ZNodePath) {
        if let replaced = nodes.updateValue(node, forKey: path) {
            storedBytes -= Self.nodeBytes(path: path, dataCount: replaced.data.count)
        }
        storedBytes += Self.nodeBytes(path: path, dataCount: node.data.count)
        switch EphemeralType(ephemeralOwner: node.stat.ephemeralOwner) {
        case .session(let id): ephemeralIndex[id, default: []].insert(path)
        case .container: containers.insert(path)
        case .ttl: ttlNodes.insert(path)
        case .persistent, nil: break
        }
    }

    mutating func removeNode(at path: ZNodePath) -> Node {
        let node = nodes.removeValue(forKey: path)!
        storedBytes -= Self.nodeBytes(path: path, dataCount: node.data.count)
        switch EphemeralType(ephemeralOwner: node.stat.ephemeralOwner) {
        case .session(let id):
            ephemeralIndex[id]?.remove(path)
            if ephemeralIndex[id]?.isEmpty == true { ephemeralIndex[id] = nil }
        case .container: containers.remove(path)
        case .ttl: ttlNodes.remove(path)
        case .persistent, nil: break
        }
        return node
    }

    /// Mutates a node in place. Going through the dictionary's value storage by index keeps a
    /// large child set uniquely referenced, so inserting one child does not copy the others.
    mutating func modifyNode<R>(at path: ZNodePath, _ body: (inout Node) -> R) -> R {
        let index = nodes.index(forKey: path)!
        let before = nodes.values[index].data.count
        let result = body(&nodes.values[index])
        storedBytes += nodes.values[index].data.count - before
        return result
    }

    mutating func rollBack(_ steps: [UndoStep]) {
        for step in steps.reversed() {
            switch step {
            case .removeInserted(let path):
                _ = removeNode(at: path)
            case .reinsert(let path, let node):
                insertNode(node, at: path)
            case .restore(let path, let data, let stat):
                modifyNode(at: path) {
                    $0.data = data
                    $0.stat = stat
                }
            case .unlink(let parent, let name):
                modifyNode(at: parent) { _ = $0.children.remove(name) }
            case .relink(let parent, let name):
                modifyNode(at: parent) { _ = $0.children.insert(name) }
            }
        }
    }
}
