import Testing
@testable import ZooKeeperClient

/// `scheme:id:perms` as --zookeeper-acl takes it: a decision table of accepted and refused
/// entries, and a round trip over generated ones.
@Suite struct ACLParsingTests {
    static let acceptedEntries: [(String, String, String, ACL.Perms)] = [
        ("world:anyone:r", "world", "anyone", .read),
        ("world:anyone:cdrwa", "world", "anyone", .all),
        ("auth::cdrwa", "auth", "", .all),
        ("auth::rw", "auth", "", [.read, .write]),
        ("x509:CN=zkgate,O=example:cdrwa", "x509", "CN=zkgate,O=example", .all),
        ("x509:CN=a\\,b,O=c:r", "x509", "CN=a\\,b,O=c", .read),
        ("digest:zkgate:qW9/x+Ab3KmH0tPnRbXlZ0Jkc2A=:cdrwa", "digest", "zkgate:qW9/x+Ab3KmH0tPnRbXlZ0Jkc2A=", .all),
        ("ip:10.0.0.0/8:r", "ip", "10.0.0.0/8", .read),
        ("ip:::1:ra", "ip", "::1", [.read, .admin]),
        ("sasl:zk@EXAMPLE.COM:adcwr", "sasl", "zk@EXAMPLE.COM", .all),
    ]

    @Test(arguments: acceptedEntries)
    func accepted(text: String, scheme: String, id: String, perms: ACL.Perms) throws {
        let acl = try ACL(parsing: text)
        #expect(acl.id == Id(scheme: scheme, id: id))
        #expect(acl.perms == perms)
    }

    static let refusedEntries: [(String, String)] = [
        ("", "is not scheme:id:permissions"),
        ("world", "is not scheme:id:permissions"),
        ("world:anyone", "is not scheme:id:permissions"),
        ("world:everyone:r", "only the id 'anyone'"),
        ("auth:zkgate:cdrwa", "takes no id"),
        ("digest::r", "needs an id"),
        ("x509::r", "needs an id"),
        ("kerberos:zk:r", "unknown scheme 'kerberos'"),
        (":anyone:r", "unknown scheme ''"),
        ("world:anyone:", "grants nothing"),
        ("world:anyone:rx", "'x' is not a permission"),
        ("world:anyone:R", "'R' is not a permission"),
        ("world:anyone:rr", "'r' is given twice"),
        ("world:anyone:r ", "' ' is not a permission"),
    ]

    @Test(arguments: refusedEntries)
    func refused(text: String, reason: String) {
        do {
            let acl = try ACL(parsing: text)
            Issue.record("\(text) was accepted as \(acl)")
        } catch {
            #expect(error.description.contains(reason), "\(text): \(error)")
        }
    }

    /// Every scheme, ids with colons and commas where the scheme allows them, and every
    /// non-empty set of permissions: `text` reads back as the same entry.
    @Test func everyEntryReadsBackAsWritten() throws {
        let ids: [String: [String]] = [
            "world": ["anyone"], "auth": [""], "digest": ["u:h=", "a:b:c"], "ip": ["127.0.0.1", "::1", "10.0.0.0/8"],
            "x509": ["CN=x,O=y", "CN=a:b"], "sasl": ["zk"],
        ]
        for (scheme, list) in ids {
            for id in list {
                for raw in Int32(1)...31 {
                    let acl = ACL(perms: ACL.Perms(rawValue: raw), id: Id(scheme: scheme, id: id))
                    #expect(try ACL(parsing: acl.text) == acl, "\(acl.text)")
                }
            }
        }
    }
}
