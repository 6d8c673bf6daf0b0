extension PrincipalRules {
    /// The trie of the grants among `grants` that apply to `principal`.
    init(grants: [Grant], principal: Principal) {
        struct EdgeKey: Hashable {
            let parent: Int32
            let label: [UInt8]
        }
        var nodes = [Node()]
        var parent: [Int32] = [-1]
        var literal: [EdgeKey: Int32] = [:]
        var edges: [(parent: Int32, label: [UInt8], child: Int32)] = []
        var marks = [Int32](repeating: Self.none, count: Self.marksPerNode)
        var depth = 0

        func addNode(under node: Int32) -> Int32 {
            nodes.append(Node())
            parent.append(node)
            marks.append(contentsOf: repeatElement(Self.none, count: Self.marksPerNode))
            return Int32(nodes.count - 1)
        }

        for (g, grant) in grants.enumerated() where grant.applies(to: principal) {
            for pattern in grant.paths {
                guard let steps = pattern.steps(for: principal) else { continue }
                depth = max(depth, steps.count)
                var node: Int32 = 0
                for step in steps {
                    switch step {
                    case .wildcard:
                        if nodes[Int(node)].wildcard < 0 { nodes[Int(node)].wildcard = addNode(under: node) }
                        node = nodes[Int(node)].wildcard
                    case .literal(let label):
                        // Keyed by bytes: labels that are canonically equivalent but spelt
                        // differently are different znodes.
                        let key = EdgeKey(parent: node, label: label)
                        if let child = literal[key] {
                            node = child
                        } else {
                            let child = addNode(under: node)
                            nodes[Int(node)].hasLiterals = true
                            literal[key] = child
                            edges.append((node, label, child))
                            node = child
                        }
                    }
                }
                let kind = pattern.coversSubtree ? Self.subtree : Self.exact
                for permission in grant.allow {
                    let m = Int(node) * Self.marksPerNode + permission.index * Self.marksPerPermission + kind
                    // Grants are visited in order, so the first to set a mark is the earliest.
                    marks[m] = min(marks[m], Int32(g))
                }
            }
        }

        let admin = Permission.admin.index * Self.marksPerPermission
        for node in nodes.indices {
            let base = node * Self.marksPerNode
            for permission in Permission.allCases where permission != .admin {
                let p = base + permission.index * Self.marksPerPermission
                marks[p + Self.exact] = min(marks[p + Self.exact], marks[base + admin + Self.exact])
                marks[p + Self.subtree] = min(marks[p + Self.subtree], marks[base + admin + Self.subtree])
            }
        }
        // A child is numbered after its parent, so one pass from the last node carries each
        // subtrie's earliest grant up to its root.
        for node in nodes.indices.reversed() {
            let base = node * Self.marksPerNode
            let up = Int(parent[node]) * Self.marksPerNode
            for p in stride(from: 0, to: Self.marksPerNode, by: Self.marksPerPermission) {
                let here = min(marks[base + p + Self.below], marks[base + p + Self.exact], marks[base + p + Self.subtree])
                marks[base + p + Self.below] = here
                if node > 0 { marks[up + p + Self.below] = min(marks[up + p + Self.below], here) }
            }
        }

        self.nodes = nodes
        self.marks = marks
        literals = SegmentTable(edges)
        self.depth = depth
        isAdministrator = marks[admin + Self.subtree] != Self.none
    }
}
