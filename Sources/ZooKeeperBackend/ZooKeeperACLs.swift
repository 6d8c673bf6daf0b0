import ZooKeeperClient

/// The ACLs zkgate gives the nodes it creates on the ensemble: one list for ordinary nodes
/// (devices' data, recipe nodes in Curator's layout), another for the gateway's internal
/// subtree (its record root: device session records, replica records holding ZooKeeper
/// session passwords).
public struct ZooKeeperACLs: Sendable, Hashable {
    public var ordinary: [ACL]
    public var `internal`: [ACL]

    public init(ordinary: [ACL], internal: [ACL]) {
        self.ordinary = ordinary
        self.internal = `internal`
    }

    /// Anyone may do anything: for an ensemble zkgate reaches without an identity.
    public static let open = ZooKeeperACLs(ordinary: ACL.openACLUnsafe, internal: ACL.openACLUnsafe)

    /// The default for a gateway with an identity (its TLS client certificate, or digest
    /// credentials): full rights for the identities of the session that creates a node (the
    /// `auth` scheme; replicas sharing one identity share the nodes), read for everyone on
    /// ordinary nodes, and nothing for anyone else on the internal subtree.
    public static let creatorOwned = ZooKeeperACLs(
        ordinary: [ACL(perms: .all, id: Id(scheme: "auth", id: "")), ACL(perms: .read, id: .anyoneUnsafe)],
        internal: [ACL(perms: .all, id: Id(scheme: "auth", id: ""))])
}
