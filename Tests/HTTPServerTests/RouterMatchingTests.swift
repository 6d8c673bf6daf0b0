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

    @Test func literalBeatsParameterAndTail() {
        #expect(nodes.route(.get, "/v1/nodes/stats") == .found("GET /v1/nodes/stats", []))
        #expect(nodes.route(.get, "/v1/nodes/locks/l1") == .found("GET /v1/nodes/locks/{name}", ["name=l1"]))
    }

    @Test func parameterBeatsTail() {
        #expect(nodes.route(.get, "/v1/nodes/abc") == .found("GET /v1/nodes/{id}", ["id=abc"]))
        #expect(nodes.route(.get, "/v1/nodes/abc/children") == .found("GET /v1/nodes/{id}/children", ["id=abc"]))
    }

    @Test func tailTakesWhatNothingElseMatches() {
        #expect(nodes.route(.get, "/v1/nodes/abc/def") == .found("GET /v1/nodes/{path...}", ["path=abc/def"]))
        #expect(nodes.route(.get, "/v1/nodes/a/b/c/d") == .found("GET /v1/nodes/{path...}", ["path=a/b/c/d"]))
    }

    /// "locks" is a literal with no route of its own: the parameter branch must be tried next.
    @Test func backtracksFromALiteralWithoutRoute() {
        #expect(nodes.route(.get, "/v1/nodes/locks") == .found("GET /v1/nodes/{id}", ["id=locks"]))
        #expect(nodes.route(.get, "/v1/nodes/locks/x/y") == .found("GET /v1/nodes/{path...}", ["path=locks/x/y"]))
    }

    @Test func backtracksFromAParameterBranchIntoAnother() {
        let router = TaggedRouter([(.get, "/v1/{kind}/children"), (.get, "/v1/nodes/{id}/meta")])
        #expect(router.route(.get, "/v1/nodes/children") == .found("GET /v1/{kind}/children", ["kind=nodes"]))
        #expect(router.route(.get, "/v1/nodes/n1/meta") == .found("GET /v1/nodes/{id}/meta", ["id=n1"]))
        #expect(router.route(.get, "/v1/nodes/n1/other") == .notFound)
    }

    @Test func emptyTailWithAndWithoutTrailingSlash() {
        #expect(nodes.route(.get, "/v1/nodes/") == .found("GET /v1/nodes/{path...}", ["path="]))
        #expect(nodes.route(.get, "/v1/nodes") == .found("GET /v1/nodes/{path...}", ["path="]))
    }

    @Test func exactRouteBeatsEmptyTail() {
        let router = TaggedRouter([(.get, "/v1/nodes"), (.get, "/v1/nodes/{path...}")])
        #expect(router.route(.get, "/v1/nodes") == .found("GET /v1/nodes", []))
        #expect(router.route(.get, "/v1/nodes/") == .found("GET /v1/nodes/{path...}", ["path="]))
    }

    @Test func trailingSlashOnLiteralRoutesIsNotFound() {
        let router = TaggedRouter([(.get, "/healthz"), (.get, "/v1/status"), (.get, "/v1/items/{id}")])
        #expect(router.route(.get, "/healthz") == .found("GET /healthz", []))
        #expect(router.route(.get, "/healthz/") == .notFound)
        #expect(router.route(.get, "/v1/status/") == .notFound)
        #expect(router.route(.get, "/v1/items/x/") == .notFound)
        #expect(router.route(.get, "/v1/items/") == .notFound, "a {param} needs a non-empty segment")
        #expect(router.route(.get, "/v1/items") == .notFound)
    }

    @Test func rootAndUnknownPaths() {
        let router = TaggedRouter([(.get, "/"), (.get, "/a")])
        #expect(router.route(.get, "/") == .found("GET /", []))
        #expect(router.route(.get, "/b") == .notFound)
        #expect(router.route(.get, "/a/b") == .notFound)
    }

    @Test func parametersAreCollectedInOrder() {
        let router = TaggedRouter([(.get, "/v1/{a}/x/{b}/{rest...}")])
        #expect(router.route(.get, "/v1/one/x/two/three/four") == .found("GET /v1/{a}/x/{b}/{rest...}", ["a=one", "b=two", "rest=three/four"]))
    }
}
