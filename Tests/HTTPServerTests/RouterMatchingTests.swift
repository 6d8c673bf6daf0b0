import HTTPCore
import HTTPServer
import Testing

/// Which handler a path reaches: literal segments before `{param}` before `{rest...}`, with
/// backtracking when a more specific branch has no route.
@Suite("Router: precedence and backtracking")
struct RouterMatchingTests {
    let nodes = TaggedRouter([
        (.get, "/v1/nodes/{path...}"),
        (.get, "/v1/nodes/{id}"),
        (.get, "/v1/nodes/stats"),
        (.get, "/v1/nodes/{id}/children"),
        (.get, "/v1/nodes/locks/{name}"),
    ])

    @Test func literalBeatsParameterAndTail() async {
        #expect(await nodes.route(.get, "/v1/nodes/stats") == .found("GET /v1/nodes/stats", []))
        #expect(await nodes.route(.get, "/v1/nodes/locks/l1") == .found("GET /v1/nodes/locks/{name}", ["name=l1"]))
    }

    @Test func parameterBeatsTail() async {
        #expect(await nodes.route(.get, "/v1/nodes/abc") == .found("GET /v1/nodes/{id}", ["id=abc"]))
        #expect(await nodes.route(.get, "/v1/nodes/abc/children") == .found("GET /v1/nodes/{id}/children", ["id=abc"]))
    }

    @Test func tailTakesWhatNothingElseMatches() async {
        #expect(await nodes.route(.get, "/v1/nodes/abc/def") == .found("GET /v1/nodes/{path...}", ["path=abc/def"]))
        #expect(await nodes.route(.get, "/v1/nodes/a/b/c/d") == .found("GET /v1/nodes/{path...}", ["path=a/b/c/d"]))
    }

    /// "locks" is a literal with no route of its own: the parameter branch must be tried next.
    @Test func backtracksFromALiteralWithoutRoute() async {
        #expect(await nodes.route(.get, "/v1/nodes/locks") == .found("GET /v1/nodes/{id}", ["id=locks"]))
        #expect(await nodes.route(.get, "/v1/nodes/locks/x/y") == .found("GET /v1/nodes/{path...}", ["path=locks/x/y"]))
    }

    @Test func backtracksFromAParameterBranchIntoAnother() async {
        let router = TaggedRouter([(.get, "/v1/{kind}/children"), (.get, "/v1/nodes/{id}/meta")])
        #expect(await router.route(.get, "/v1/nodes/children") == .found("GET /v1/{kind}/children", ["kind=nodes"]))
        #expect(await router.route(.get, "/v1/nodes/n1/meta") == .found("GET /v1/nodes/{id}/meta", ["id=n1"]))
        #expect(await router.route(.get, "/v1/nodes/n1/other") == .notFound)
    }

    @Test func emptyTailWithAndWithoutTrailingSlash() async {
        #expect(await nodes.route(.get, "/v1/nodes/") == .found("GET /v1/nodes/{path...}", ["path="]))
        #expect(await nodes.route(.get, "/v1/nodes") == .found("GET /v1/nodes/{path...}", ["path="]))
    }

    @Test func exactRouteBeatsEmptyTail() async {
        let router = TaggedRouter([(.get, "/v1/nodes"), (.get, "/v1/nodes/{path...}")])
        #expect(await router.route(.get, "/v1/nodes") == .found("GET /v1/nodes", []))
        #expect(await router.route(.get, "/v1/nodes/") == .found("GET /v1/nodes/{path...}", ["path="]))
    }

    @Test func trailingSlashOnLiteralRoutesIsNotFound() async {
        let router = TaggedRouter([(.get, "/healthz"), (.get, "/v1/status"), (.get, "/v1/items/{id}")])
        #expect(await router.route(.get, "/healthz") == .found("GET /healthz", []))
        #expect(await router.route(.get, "/healthz/") == .notFound)
        #expect(await router.route(.get, "/v1/status/") == .notFound)
        #expect(await router.route(.get, "/v1/items/x/") == .notFound)
        #expect(await router.route(.get, "/v1/items/") == .notFound, "a {param} needs a non-empty segment")
        #expect(await router.route(.get, "/v1/items") == .notFound)
    }

    @Test func rootAndUnknownPaths() async {
        let router = TaggedRouter([(.get, "/"), (.get, "/a")])
        #expect(await router.route(.get, "/") == .found("GET /", []))
        #expect(await router.route(.get, "/b") == .notFound)
        #expect(await router.route(.get, "/a/b") == .notFound)
    }

    @Test func parametersAreCollectedInOrder() async {
        let router = TaggedRouter([(.get, "/v1/{a}/x/{b}/{rest...}")])
        #expect(await router.route(.get, "/v1/one/x/two/three/four") == .found("GET /v1/{a}/x/{b}/{rest...}", ["a=one", "b=two", "rest=three/four"]))
    }
}
