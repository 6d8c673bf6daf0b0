import Coordination
import HTTPCore
import HTTPServer

/// What a route does, as access control and metrics see it.
public enum OperationClass: String, Sendable, CaseIterable {
    /// Reads nodes or a recipe's state, at once or as a long-poll (watch feeds included).
    case read
    /// Creates, changes or deletes nodes (transactions included).
    case write
    /// Acquires or releases a lock.
    case lock
    /// Campaigns in or resigns from an election.
    case elect
    /// Registers or deregisters a service instance.
    case register
    /// Opens, renews, reads or closes a device session.
    case session
    /// Operator tools that are off by default (`--debug-routes`).
    case admin
    /// Probes, metrics and the API contract.
    case operations
}

/// Where a route's znode paths come from, so that a check can decide on them before any
/// handler runs.
public enum RouteTarget: Sendable, Equatable {
    /// No znode: probes, metrics, the contract, opening a session.
    case none
    /// One znode: `root` joined with the values of the named path parameters, in order (for
    /// `/v1/nodes/{path...}` the root is `/`; for `/v1/services/{service}/{instance}` the
    /// services root and two parameters). No parameter: the root itself.
    case znode(root: ZNodePath, parameters: [String])
    /// The device session named by a path parameter.
    case session(parameter: String)
    /// The znodes named by the operations of the JSON body (`POST /v1/txn`).
    case transaction
}

/// One row of the route table: method, template, what it does and what it touches, and its
/// handler. Every route the gateway serves is one of these (`Gateway.routes`).
public struct Route: Sendable {
    public let method: HTTPMethod
    /// The router's pattern: literal segments, `{name}`, and a final `{name...}`.
    public let template: String
    public let operation: OperationClass
    public let target: RouteTarget
    let handler: HTTPHandler

    init(
        _ method: HTTPMethod, _ template: String, _ operation: OperationClass, _ target: RouteTarget,
        _ handler: @escaping HTTPHandler
    ) {
        self.method = method
        self.template = template
        self.operation = operation
        self.target = target
        self.handler = handler
    }

    /// Whether the route's handler reads a JSON body: creates, sets, transactions, session
    /// opens and recipe calls (PUT and POST), not the operator's debug routes.
    var takesJSONBody: Bool {
        (method == .put || method == .post) && operation != .admin && operation != .operations
    }

    /// Whether the request deletes a whole subtree (`DELETE ?recursive=true`). A malformed
    /// flag counts as one, so access control decides on the larger reach; the handler then
    /// answers it 400 with the flag named.
    func deletesSubtree(_ request: HTTPRequest) -> Bool {
        request.method == .delete && ((try? request.flag("recursive")) ?? true)
    }

    /// The znodes a request of this route touches, normalized as the backend will see them.
    ///
    /// - Returns: an empty list for `.none` and `.session` targets. For a POST, a path that is
    ///   valid only as the prefix of a sequential create (`/queue/`, `/a/..`: its node is made
    ///   below it), with `isSequentialPrefix` set: the handler of a create accepts it.
    /// - Throws: `CoordinationError.invalidPath` when the parameters do not make a valid path
    ///   (the handler answers such a request 400 too); `CoordinationError.badArguments` when a
    ///   transaction's body cannot be read.
    public func paths(of request: HTTPRequest) throws -> [ZNodePath] {
        switch target {
        case .none, .session:
            return []
        case .znode(let root, let parameters):
            let names = parameters.map { request.parameter($0) ?? "" }
            if names.allSatisfy(\.isEmpty) { return [root] }
            let text = (root.isRoot ? "" : root.string) + "/" + names.joined(separator: "/")
            do {
                return [try ZNodePath(validating: text)]
            } catch {
                guard method == .post, let prefix = try? ZNodePath(validating: text, sequential: true) else { throw error }
                return [prefix]
            }
        case .transaction:
            return try Gateway.parseTransaction(request).0.map(\.path)
        }
    }
}
