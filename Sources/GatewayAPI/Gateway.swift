import Coordination
import HTTPCore
import HTTPServer
import Reactor
import Recipes
import Synchronization

/// The HTTP API over a coordination backend: the routes, the per-loop caches and parked
/// long-polls, and the fan-out of the backend's change batches to the loops.
public final class Gateway: Sendable {
    public struct Options: Sendable {
        /// Serve `/debug/...` routes (deferred and streamed answers for testing clients).
        public var debugRoutes: Bool
        /// Event loop threads of the server (one cache and parking lot each).
        public var threads: Int
        /// Requests waiting at once in this process: parked long-polls, long-polls and lock or
        /// election waits in a task, and server-sent-event feeds. Beyond it, 429 with Retry-After.
        public var maxParked: Int
        /// Device sessions open at once (`CoordinationBackend.deviceSessionCount`); beyond it,
        /// opening one is 429 with Retry-After.
        public var maxSessions: Int
        /// Device sessions one principal may hold open at once, under an access policy
        /// (administrators aside); beyond it, opening one is 429 with Retry-After.
        public var maxSessionsPerPrincipal: Int
        /// The longest long-poll wait; the default wait is the smaller of 30 s and this.
        public var maxWait: Duration
        /// Change events the watch feed can resume from.
        public var watchHistory: Int
        /// Where the recipes keep their nodes (Curator's recipes on the same paths coordinate
        /// with them).
        public var roots: RecipeRoots
        /// Requests per principal (under an access policy); beyond it, 429 with Retry-After.
        public var rateLimit: RateLimit?

        public init(
            debugRoutes: Bool = false, threads: Int = 1, maxParked: Int = 100_000, maxSessions: Int = 200_000,
            maxWait: Duration = .seconds(55), watchHistory: Int = 16_384, roots: RecipeRoots = RecipeRoots(),
            rateLimit: RateLimit? = nil, maxSessionsPerPrincipal: Int = 1_000
        ) {
            self.rateLimit = rateLimit
            self.maxSessionsPerPrincipal = max(1, maxSessionsPerPrincipal)
            self.debugRoutes = debugRoutes
            self.threads = max(1, threads)
            self.maxParked = max(1, maxParked)
            self.maxSessions = max(1, maxSessions)
            self.maxWait = max(.milliseconds(1), maxWait)
            self.watchHistory = max(1, watchHistory)
            self.roots = roots
        }
    }

    let backend: any CoordinationBackend
    let options: Options
    let stats: HTTPServerStats
    let states: [LoopState]
    let fanout: ChangeFanout
    let locks: Locks
    let elections: Elections
    let registry: ServiceRegistry
    let listings = RenderedListings()
    /// Every waiting request's slot against `maxParked`.
    let budget: ParkingBudget
    /// Session opens on their way to the backend, counted against `maxSessions` with those open.
    let openingSessions = Atomic<Int>(0)
    /// Set when shutdown begins: `/readyz` fails from then on, so that a load balancer stops
    /// sending requests before the listeners close (`beginDraining`).
    let draining = Atomic<Bool>(false)
    /// The access policy, when one is in force; nil serves everyone everything (the gateway
    /// then says so at start-up).
    let accessSlot: AccessSlot?
    /// `--audit-log`, when given.
    let audit: AuditLog?

    /// - Parameter access: the access policy; nil for none. One given here can be replaced
    ///   later (`replaceAccessControl`); none cannot be added to a running gateway.
    /// - Parameter audit: where writes, refusals, session opens and closes, and policy reloads
    ///   are recorded; nil for nowhere.
    public init(
        backend: any CoordinationBackend, options: Options, stats: HTTPServerStats, access: AccessControl? = nil,
        audit: AuditLog? = nil
    ) {
        self.backend = backend
        self.audit = audit
        accessSlot = access.map(AccessSlot.init)
        self.options = options
        self.stats = stats
        let budget = ParkingBudget(capacity: options.maxParked)
        self.budget = budget
        states = (0..<options.threads).map { _ in LoopState(budget: budget, configRoot: options.roots.config) }
        // Events before this process started are not in the history: a feed from an older
        // cursor gets 410 and a snapshot.
        let start = backend.feedStartIndex
        let fanout = ChangeFanout(historyCapacity: options.watchHistory, startingAt: start)
        self.fanout = fanout
        locks = Locks(backend: backend, waiters: fanout.remote, root: options.roots.locks)
        elections = Elections(backend: backend, waiters: fanout.remote, root: options.roots.elections)
        let registry = ServiceRegistry(backend: backend, root: options.roots.services)
        self.registry = registry
        backend.setChangeSink { batch in
            fanout.publish(batch)
            registry.observe(batch)
        }
    }

    /// Puts a reloaded policy in force: each loop takes it before its next request.
    ///
    /// - Returns: false when the gateway was started without a policy (it stays open).
    public func replaceAccessControl(_ control: AccessControl) -> Bool {
        guard let accessSlot else { return false }
        accessSlot.replace(control)
        return true
    }

    /// The OpenAPI document served at `/openapi.yaml`.
    public static var openAPIDocument: String { OpenAPIDocument.yaml }

    /// The route table: every route the gateway serves, with the operation class it performs
    /// and the znodes it touches (`Route`), in one list. A concern of every route belongs in
    /// `router()`, which all of them pass through.
    public func routes() -> [Route] {
        var routes = operationsRoutes
        routes += nodeRoutes
        routes += transactionRoutes
        routes += sessionRoutes
        routes += watchRoutes
        routes += lockRoutes
        routes += electionRoutes
        routes += serviceRoutes
        routes += configRoutes
        if options.debugRoutes { routes += DebugRoutes.routes }
        return routes
    }

    /// The router over the route table: every route's handler behind `admit`, the one place
    /// every request passes through before its handler runs.
    public func router() -> Router {
        var router = Router()
        for route in routes() { router.add(route.method, route.template, admit(route)) }
        return router
    }

    /// Makes `/readyz` fail from now on, while every route still serves: the first step of a
    /// graceful shutdown behind a load balancer, which then routes new requests elsewhere
    /// before this gateway stops listening.
    public func beginDraining() {
        draining.store(true, ordering: .relaxed)
    }

    /// Probes, metrics and the contract.
    var operationsRoutes: [Route] {
        let healthy = HTTPResponse.json(.ok, #"{"status":"ok"}"#)
        let ready = HTTPResponse.json(.ok, #"{"status":"ready"}"#)
        let notReady = HTTPResponse.problem(
            .serviceUnavailable, type: "not-ready", detail: "The backend is not serving.", headers: ["Retry-After": "1"])
        let stopping = HTTPResponse.problem(
            .serviceUnavailable, type: "not-ready", detail: "The gateway is shutting down; send requests to another replica.",
            headers: ["Retry-After": "1"])
        let document = HTTPResponse(
            status: .ok, headers: ["Content-Type": "application/yaml"], body: Array(OpenAPIDocument.yaml.utf8))
        return [
            Route(.get, "/healthz", .operations, .none) { _, _ in .response(healthy) },
            Route(.get, "/readyz", .operations, .none) { [self] _, _ in
                if draining.load(ordering: .relaxed) { return .response(stopping) }
                return .response(backend.isReady ? ready : notReady)
            },
            Route(.get, "/metrics", .operations, .none) { [stats] _, _ in .response(Metrics.render(stats)) },
            Route(.get, "/openapi.yaml", .operations, .none) { _, _ in .response(document) },
        ]
    }

    /// The state of the loop running this handler, bound on first use.
    func state(_ context: RequestContext) -> LoopState {
        let loop = context.loop
        let state = states[loop.index % states.count]
        if state.attach(loop) { fanout.register(loop, state) }
        return state
    }

    /// As `answerLater`, for work that waits: when the client goes away the task is cancelled,
    /// so a recipe can clean up (a lock contender leaves its queue) instead of waiting on; at
    /// shutdown too, so the wait ends and answers at once. Work that `waits` holds a slot of
    /// `--max-parked` until it answers; without one free, the answer is 429 at once.
    func answerLaterCancellable(
        _ context: RequestContext, waits: Bool, _ work: @escaping @Sendable () async -> HTTPResponse
    ) -> HandlerResult {
        if waits {
            guard budget.acquire() else { return .response(Self.tooManyWaiters) }
        }
        let budget = waits ? budget : nil
        let box = TaskBox()
        let deferred = context.deferResponse { reason, _ in
            _ = reason
            box.cancel()
        }
        let state = state(context)
        box.set(Task(executorPreference: context.loop) {
            let response = await work()
            budget?.release(1)
            self.answer(deferred, response, state)
        })
        return .deferred
    }

    /// Runs an asynchronous backend call for a parked request and answers with its result.
    func answerLater(_ context: RequestContext, _ work: @escaping @Sendable () async -> HTTPResponse) -> HandlerResult {
        let deferred = context.deferResponse()
        // On the connection's own loop: the work resumes there after each await, with no
        // thread of the global pool woken on the way in or out.
        let state = state(context)
        Task(executorPreference: context.loop) { self.answer(deferred, await work(), state) }
        return .deferred
    }

    /// Answers at once when this loop has applied every change batch published so far, and
    /// otherwise through the loop's inbox, behind the batches queued there.
    ///
    /// Both backends queue a write's change batch for every loop before the writer resumes.
    /// A task on the loop can resume without ever suspending (when its continuation was
    /// resumed before it finished suspending) and so run ahead of that batch's job: answered
    /// inline then, the client's next request would meet the cache entry the write made stale.
    func answer(_ deferred: DeferredResponse, _ response: HTTPResponse, _ state: LoopState) {
        if deferred.loop.inEventLoop, state.appliedIndex >= fanout.published.load(ordering: .acquiring) {
            deferred.respond(response)
        } else {
            deferred.loop.execute { deferred.respond(response) }
        }
    }
}

/// A task that may be cancelled before it is stored.
final class TaskBox: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func set(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { s in
            s.task = task
            return s.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        state.withLock { s in
            s.cancelled = true
            return s.task
        }?.cancel()
    }
}
