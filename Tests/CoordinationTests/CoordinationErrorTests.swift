import Coordination
import Testing

@Suite("CoordinationError")
struct CoordinationErrorTests {
    @Test(arguments: [
        (CoordinationError.noNode(path("/a")), -101, "no-node", "no node at /a"),
        (.nodeExists(path("/a")), -110, "node-exists", "a node already exists at /a"),
        (.badVersion(path("/a")), -103, "bad-version", "the version of /a does not match the expected version"),
        (.notEmpty(path("/a")), -111, "not-empty", "/a has children"),
        (
            .noChildrenForEphemerals(path("/e/x")), -108, "no-children-for-ephemerals",
            "cannot create /e/x: its parent is ephemeral, and ephemeral nodes cannot have children"
        ),
        (.badArguments("ttl out of range"), -8, "bad-arguments", "ttl out of range"),
        (.invalidPath("/a/", reason: "path must not end with /"), -8, "invalid-path",
            "invalid path \"/a/\": path must not end with /"),
        (.sessionExpired(0x1F), -112, "session-expired", "session 0x1f is unknown or has expired"),
        (.sessionExpired(-2), -112, "session-expired", "session 0xfffffffffffffffe is unknown or has expired"),
        (.unimplemented("ttl nodes"), -6, "unimplemented", "not implemented: ttl nodes"),
        (.dataTooLarge(size: 1_000_001, limit: 1_000_000), -5, "data-too-large",
            "data is 1000001 bytes, over the limit of 1000000"),
        (.connectionLoss, -4, "connection-loss",
            "lost the connection to the backend; an in-flight write may or may not have happened"),
        (.operationTimeout, -7, "operation-timeout", "the backend did not answer in time"),
        (.unavailable("no quorum"), -4, "unavailable", "the backend is unavailable: no quorum"),
        (.quotaExceeded(size: 120, quota: 100), -125, "quota-exceeded",
            "the write would grow the store to 120 bytes, over its quota of 100 bytes; reads, deletes and smaller "
                + "data still work: delete nodes or shrink data to make room, or raise --quota-bytes"),
        (.aclDenied(try! ZNodePath(validating: "/a")), -102, "zookeeper-acl-denied",
            "ZooKeeper's ACL on /a (or its parent) does not grant the gateway's identity this operation: "
                + "change the ACL, or give the gateway an identity it grants"),
        (.storageFull, -1, "storage-full",
            "the disk holding the store is full, so the write was not made; reads, deletes and smaller data still "
                + "work, and writes resume by themselves once disk space is freed"),
    ] as [(CoordinationError, Int32, String, String)])
    func codesSlugsAndMessages(_ error: CoordinationError, code: Int32, slug: String, message: String) {
        #expect(error.code == code)
        #expect(error.slug == slug)
        #expect(error.message == message)
        #expect(error.description == message)
    }
}
