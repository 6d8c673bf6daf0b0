import HTTPCore
import HTTPServer
import Testing

/// Paths arrive percent-encoded: parameters are decoded, and encodings that would make a
/// segment ambiguous or unsafe (an encoded `/`, NUL, broken escapes) are refused as badPath.
@Suite("Router: percent-decoding of paths")
struct RouterPathDecodingTests {
    let router = TaggedRouter([
        (.get, "/v1/nodes/{id}"),
        (.get, "/v1/files/{path...}"),
        (.get, "/v1/locks/{name}/owner"),
        (.get, "/healthz"),
    ])

    @Test func parametersAreDecoded() async {
        #expect(await router.route(.get, "/v1/nodes/a%20b") == .found("GET /v1/nodes/{id}", ["id=a b"]))
        #expect(await router.route(.get, "/v1/nodes/%C3%A9t%c3%a9") == .found("GET /v1/nodes/{id}", ["id=été"]))
        #expect(await router.route(.get, "/v1/nodes/a+b") == .found("GET /v1/nodes/{id}", ["id=a+b"]), "+ is literal in paths")
        #expect(await router.route(.get, "/v1/nodes/%25") == .found("GET /v1/nodes/{id}", ["id=%"]))
        #expect(await router.route(.get, "/v1/files/x/a%20b/c") == .found("GET /v1/files/{path...}", ["path=x/a b/c"]))
    }

    @Test func literalSegmentsInPatternsWithParametersMatchDecoded() async {
        #expect(await router.route(.get, "/v1/locks/l1/%6Fwner") == .found("GET /v1/locks/{name}/owner", ["name=l1"]))
    }

    @Test(arguments: [
        "/v1/nodes/a%2Fb", "/v1/nodes/a%2fb", "/v1/files/x/a%2Fb",
        "/v1/nodes/%00", "/v1/files/a%00b",
        "/v1/nodes/%zz", "/v1/nodes/%4", "/v1/nodes/%", "/v1/files/%g0",
        "/v1/nodes/%ff", "/v1/nodes/%C3",
        "/healthz%00",
    ])
    func badEscapesAreBadPath(path: String) async {
        #expect(await router.route(.get, path) == .badPath)
    }

    /// RFC 3986 §6.2.2.2: `%61` and `a` are the same URI. Literal segments of patterns with
    /// parameters match decoded text, but parameterless routes are compared on raw bytes, so
    /// the same literal path reaches different handlers depending on its spelling.
    @Test
    func encodedUnreservedCharactersMatchLiteralRoutes() async {
        let router = TaggedRouter([(.get, "/v1/nodes/stats"), (.get, "/v1/nodes/{id}"), (.get, "/healthz")])
        #expect(await router.route(.get, "/v1/nodes/st%61ts") == .found("GET /v1/nodes/stats", []))
        #expect(await router.route(.get, "/heal%74hz") == .found("GET /healthz", []))
    }
}
