import HTTPCore
import HTTPServer
import Testing

/// Method handling: 405 with an Allow list (HEAD implied by GET), HEAD answered by GET.
@Suite("Router: methods, 405 and HEAD")
struct RouterMethodTests {
    let router = TaggedRouter([
        (.get, "/v1/things"), (.post, "/v1/things"),
        (.put, "/v1/nodes/{id}"), (.delete, "/v1/nodes/{id}"),
        (.get, "/v1/files/{path...}"),
    ])

    @Test func allowListsRegisteredMethodsSortedWithHeadForGet() async {
        #expect(await router.route(.delete, "/v1/things") == .methodNotAllowed(["GET", "HEAD", "POST"]))
        #expect(await router.route(.options, "/v1/things") == .methodNotAllowed(["GET", "HEAD", "POST"]))
    }

    @Test func noHeadInAllowWithoutGet() async {
        #expect(await router.route(.get, "/v1/nodes/n1") == .methodNotAllowed(["DELETE", "PUT"]))
    }

    @Test func tailRoutesAnswer405Too() async {
        #expect(await router.route(.post, "/v1/files/a/b") == .methodNotAllowed(["GET", "HEAD"]))
    }

    @Test func headFallsBackToGet() async {
        #expect(await router.route(.head, "/v1/things") == .found("GET /v1/things", []))
        #expect(await router.route(.head, "/v1/files/a/b") == .found("GET /v1/files/{path...}", ["path=a/b"]))
    }

    @Test func explicitHeadWinsAndIsListedOnce() async {
        let router = TaggedRouter([(.get, "/x"), (.head, "/x")])
        #expect(await router.route(.head, "/x") == .found("HEAD /x", []))
        #expect(await router.route(.post, "/x") == .methodNotAllowed(["GET", "HEAD"]))
    }

    @Test func laterRegistrationReplacesSameMethod() async {
        var router = TaggedRouter([(.get, "/x")])
        router.add(.get, "/x")
        #expect(await router.route(.get, "/x") == .found("GET /x", []))
        #expect(await router.route(.put, "/x") == .methodNotAllowed(["GET", "HEAD"]))
    }

    /// A request whose method and path match a registered route must reach it: a more
    /// specific pattern registered only for other methods should not shadow it with a 405.
    @Test
    func lessSpecificRouteForTheMethodIsStillFound() async {
        let router = TaggedRouter([(.get, "/v1/nodes/{id}"), (.delete, "/v1/nodes/{path...}")])
        #expect(await router.route(.delete, "/v1/nodes/n1") == .found("DELETE /v1/nodes/{path...}", ["path=n1"]))
    }

    @Test
    func literalRouteForOtherMethodsDoesNotShadowParameterRoute() async {
        let router = TaggedRouter([(.get, "/v1/nodes/stats"), (.delete, "/v1/nodes/{id}")])
        #expect(await router.route(.delete, "/v1/nodes/stats") == .found("DELETE /v1/nodes/{id}", ["id=stats"]))
    }
}
