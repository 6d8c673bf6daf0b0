import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TestSupport
import Testing

/// The gateway's own records (`/zkgate`) and ZooKeeper's (`/zookeeper`) are never written
/// through the node API, with or without a policy: one `DELETE /v1/nodes/zkgate/sessions/<id>`
/// once ended another device's session, and a recursive delete of `/zkgate` ended them all.
@Suite struct InternalSubtreeRouteTests {
    static let backends = RouteHarness.Backend.available

    /// Every write shape on every internal path is 403 `internal-node` naming the path, and
    /// nothing changes.
    @Test(arguments: backends)
    func writesUnderInternalRootsAreRefused(backend: RouteHarness.Backend) async throws {
        let harness = try await RouteHarness(backend)
        await harness.makeBase()
        let session = try await harness.openSession()
        // Other tests share the ensemble's /zkgate: compare what this test owns.
        let before = await harness.treeSnapshot()
        let quota = await harness.treeSnapshot("/zookeeper")
        let targets = ["/zkgate", "/zkgate/sessions", "/zkgate/sessions/\(session)", "/zkgate/x/y", "/zookeeper",
            "/zookeeper/quota", "/zookeeper/quota/a/zookeeper_limits", "/zookeeper/config"]
        for target in targets {
            for (method, body) in [(HTTPMethod.put, ["data": "x"]), (.post, ["data": "x"]), (.delete, nil)] as [(HTTPMethod, [String: String]?)] {
                let answer = body.map { b in { await harness.request(method, "/v1/nodes" + target + "?parents=true", object: b) } }
                    ?? { await harness.request(method, "/v1/nodes" + target) }
                let response = await answer()
                expectProblem(response, status: 403, type: "internal-node")
                #expect(response.text.contains(target), "\(method) \(target): \(response.text)")
            }
            expectProblem(await harness.request(.delete, "/v1/nodes" + target + "?recursive=true"), status: 403, type: "internal-node")
        }
        // The encoded forms decide on the decoded path.
        expectProblem(await harness.request(.delete, "/v1/nodes/%7Akgate"), status: 403, type: "internal-node")
        // The root is never deleted, recursively or not (it would take them with it).
        expectProblem(await harness.request(.delete, "/v1/nodes/?recursive=true"), status: 400, type: "bad-arguments")
        // A transaction is refused as a whole when one operation touches them.
        let txn = await harness.request(.post, "/v1/txn", object: ["ops": [
            ["op": "create", "path": harness.base + "/ok", "data": "x"],
            ["op": "delete", "path": "/zkgate/sessions/\(session)"],
        ]])
        expectProblem(txn, status: 403, type: "internal-node")
        #expect(txn.text.contains("/zkgate/sessions/\(session)"), "\(txn.text)")
        #expect(await harness.treeSnapshot() == before)
        #expect(await harness.treeSnapshot("/zookeeper") == quota)
        // The session lives on; siblings with longer names are ordinary nodes.
        #expect(await harness.request(.put, "/v1/sessions/\(session)").status.code == 200)
        let sibling = await harness.request(.put, "/v1/nodes/zkgatex", object: ["data": "x"])
        #expect(sibling.status.code == 201, "\(sibling.text)")
        #expect(await harness.request(.delete, "/v1/nodes/zkgatex").status.code == 204)
        await harness.shutdown()
    }
}
