import Coordination
import HTTPCore
import HTTPServer
import JSON
import Recipes
import Synchronization


extension Gateway {
    /// Service registration below the services root.
    var serviceRoutes: [Route] {
        let root = RouteTarget.znode(root: options.roots.services, parameters: [])
        let service = RouteTarget.znode(root: options.roots.services, parameters: ["service"])
        let instance = RouteTarget.znode(root: options.roots.services, parameters: ["service", "instance"])
        return [
            Route(.get, "/v1/services", .read, root) { [self] in listServiceNames($0, $1) },
            Route(.get, "/v1/services/{service}", .read, service) { [self] in listService($0, $1) },
            Route(.put, "/v1/services/{service}/{instance}", .register, instance) { [self] in register($0, $1) },
            Route(.get, "/v1/services/{service}/{instance}", .read, instance) { [self] in getInstance($0, $1) },
            Route(.delete, "/v1/services/{service}/{instance}", .register, instance) { [self] in deregister($0, $1) },
        ]
    }

    /// PUT `{"session", "address", "port", "sslPort", "payload"}`: registers the instance,
    /// bound to the session (re-registering replaces it). 200 with the instance as stored.
    func register(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let service = request.parameter("service") ?? ""
        let id = request.parameter("instance") ?? ""
        let session: Int64
        let instance: ServiceInstance
        do {
            let body = try RecipeBody(request, allowed: ["session", "address", "port", "sslPort", "payload"],
                example: #"{"session": "…", "address": "10.0.0.7", "port": 8080}"#)
            session = try body.session()
            instance = ServiceInstance(
                name: service, id: id, address: try body.string("address", maxLength: 1024),
                port: try body.integer("port", in: 0...65_535), sslPort: try body.integer("sslPort", in: 0...65_535),
                payload: body.object["payload"] ?? .null, registrationTimeUTC: WallClock.milliseconds())
        } catch {
            return .response(error.response)
        }
        return answerLater(context) { [registry] in
            do throws(RecipeError) {
                let (stored, zxid) = try await registry.register(instance, session: session)
                return Self.recipeResponse(stored.json.serialized(), index: zxid)
            } catch {
                return error.problem()
            }
        }
    }

    /// DELETE: deregisters (404 when not registered).
    func deregister(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let service = request.parameter("service") ?? ""
        let id = request.parameter("instance") ?? ""
        return answerLater(context) { [registry] in
            do throws(RecipeError) {
                let zxid = try await registry.deregister(service: service, id: id)
                return HTTPResponse(status: .noContent, headers: ["Zkgate-Index": String(zxid)])
            } catch {
                return error.problem()
            }
        }
    }

    /// GET one instance (404 when absent).
    func getInstance(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let service = request.parameter("service") ?? ""
        let id = request.parameter("instance") ?? ""
        return answerLater(context) { [registry] in
            do throws(RecipeError) {
                let (instance, read) = try await registry.instance(service: service, id: id)
                guard let instance else {
                    let path = read.node?.path ?? (try? ZNodePath(validating: registry.root.string + "/" + service + "/" + id))
                    if read.node != nil {
                        return .problem(.unprocessableContent, type: "not-a-service-instance",
                            detail: "The node for \(service)/\(id) does not hold a service instance.")
                    }
                    return CoordinationError.noNode(path ?? registry.root).problem(headers: ["Zkgate-Index": String(read.index)])
                }
                return Self.recipeResponse(instance.json.serialized(), index: read.index)
            } catch {
                return error.problem()
            }
        }
    }

    /// GET: the instances (long-poll with `?index=`); `?pick=random` answers one of them at
    /// random (404 when there is none), as Curator's "any instance" provider does.
    func listService(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        let service = request.parameter("service") ?? ""
        let random: Bool
        switch request.query["pick"] {
        case nil: random = false
        case "random": random = true
        case let other?:
            return .response(BadRequest(field: "pick", detail: "pick takes random, not '\(other)'.").response)
        }
        return recipePoll(request, context) { [registry, listings] () throws(RecipeError) in
            let listing = try await registry.list(service)
            let body: [UInt8]
            if random {
                guard let chosen = listing.instances.randomElement() else {
                    let path = (try? ZNodePath(validating: registry.root.string + "/" + service)) ?? registry.root
                    return RecipeView(index: listing.index, changeIndex: listing.changeIndex, paths: listing.paths,
                        response: .problem(.notFound, type: "no-instance", detail: "Service \(service) has no instances.",
                            extra: [("path", JSONWriter.quoted(path.string))], headers: ["Zkgate-Index": String(listing.index)]))
                }
                body = chosen.json.serialized()
            } else {
                body = listings.body(service, changeIndex: listing.changeIndex) {
                    var w = JSONWriter()
                    w.beginObject()
                    w.key("service"); w.string(service)
                    w.key("instances")
                    w.value(.array(listing.instances.map(\.json)))
                    w.endObject()
                    return w.bytes
                }
            }
            return RecipeView(index: listing.index, changeIndex: listing.changeIndex, paths: listing.paths,
                response: Self.recipeResponse(body, index: listing.index))
        }
    }

    /// GET: the service names, as a long-poll with `?index=`.
    func listServiceNames(_ request: HTTPRequest, _ context: RequestContext) -> HandlerResult {
        recipePoll(request, context) { [registry] () throws(RecipeError) in
            let (names, index, changeIndex) = try await registry.names()
            var w = JSONWriter()
            w.beginObject()
            w.key("services")
            w.beginArray()
            for name in names.sorted() { w.string(name) }
            w.endArray()
            w.endObject()
            return RecipeView(index: index, changeIndex: changeIndex, paths: [registry.root],
                response: Self.recipeResponse(w.bytes, index: index))
        }
    }

}

/// Rendered service listings by service, with the change index they were rendered at: a
/// discovery GET renders a listing once per change of the service, not once per read.
final class RenderedListings: Sendable {
    private let table = Mutex<[String: (changeIndex: Int64, body: [UInt8])]>([:])
    static let capacity = 10_000

    /// The listing's body at `changeIndex`, rendering it only when the kept one is older.
    func body(_ service: String, changeIndex: Int64, render: () -> [UInt8]) -> [UInt8] {
        if let kept = table.withLock({ $0[service] }), kept.changeIndex == changeIndex { return kept.body }
        let body = render()
        table.withLock { table in
            if table.count >= Self.capacity, table[service] == nil, let victim = table.keys.first {
                table.removeValue(forKey: victim)
            }
            table[service] = (changeIndex, body)
        }
        return body
    }
}
