import Coordination
import HTTPCore
import HTTPServer
import Recipes
import Waiting

/// A long-poll as a request asks for it: how long it may wait, what counts as a change, and
/// the index its answer must reflect at least (read-your-writes). Parsed once, in one place,
/// for every route that waits; `Gateway.park` and `Gateway.waitInTask` carry it out.
struct LongPoll: Sendable {
    /// What counts as a change for this request.
    enum Condition: Sendable {
        /// A plain read: nothing to wait for.
        case none
        /// `?index=N`: the answer's change index has passed N.
        case after(Int64)
        /// `If-None-Match`: the answer's ETag is none of these (else 304 when the wait ends).
        case etagNotIn([String])
    }

    /// The longest and the default wait, from `Gateway.Options`.
    struct Limits: Sendable {
        /// The longest wait a client may ask for (55 s by default, under the common 60 s proxy
        /// cut-off).
        var max: Duration
        /// The wait of `?index=` without `wait` (30 s, or `max` if that is shorter).
        var standard: Duration { Swift.min(.seconds(30), max) }
    }

    var condition: Condition
    /// How long to wait for the condition; nil: answer at once.
    var wait: Duration?
    /// The client's `Zkgate-Index`: the answer reflects at least this index.
    var minIndex: Int64

    /// Whether the request waits at all.
    var waits: Bool {
        guard let wait, wait > .zero else { return false }
        if case .none = condition { return false }
        return true
    }

    /// Whether an answer with this change index and ETag is a change for the request.
    func changed(changeIndex: Int64, etag: @autoclosure () -> String?) -> Bool {
        switch condition {
        case .none: return true
        case .after(let index): return changeIndex > index
        case .etagNotIn(let tags):
            guard let etag = etag() else { return true }
            return !tags.contains(etag)
        }
    }

    /// Whether an unchanged answer at the end of the wait is 304 Not Modified.
    var answersNotModified: Bool {
        if case .etagNotIn = condition { return true }
        return false
    }
}

extension LongPoll {
    /// A node or config read: `?index=`, `?wait=` / `Prefer: wait=`, `If-None-Match` and
    /// `Zkgate-Index`.
    ///
    /// - Throws: `BadRequest` naming the malformed parameter or header.
    static func read(_ request: HTTPRequest, limits: Limits) throws(BadRequest) -> LongPoll {
        var minIndex: Int64 = 0
        if let text = request.headers["Zkgate-Index"] {
            guard let value = Int64(text), value >= 0 else {
                throw BadRequest(field: "Zkgate-Index", detail: "Zkgate-Index takes the index of an earlier answer, an integer from 0.")
            }
            minIndex = value
        }
        let index = try request.integer("index", in: 0...Int64.max)
        let wait = try waitParameter(request, limits: limits)
        let etags = try request.headers["If-None-Match"].map { (v) throws(BadRequest) in
            try ETagList.parse(v, header: "If-None-Match").tags
        }
        let condition: Condition = index.map { .after($0) } ?? etags.map { .etagNotIn($0) } ?? .none
        return LongPoll(condition: condition, wait: wait, minIndex: minIndex)
    }

    /// A recipe read: `?index=` and `?wait=` (the state's change index against `index`).
    static func recipe(_ request: HTTPRequest, limits: Limits) throws(BadRequest) -> LongPoll {
        let index = try request.integer("index", in: 0...Int64.max)
        return LongPoll(condition: index.map { .after($0) } ?? .none, wait: try waitParameter(request, limits: limits), minIndex: 0)
    }

    /// The wait from `?wait=` or `Prefer: wait=N` (seconds), clamped; nil when neither is
    /// given, except that `?index=` alone waits the standard wait.
    static func waitParameter(_ request: HTTPRequest, limits: Limits) throws(BadRequest) -> Duration? {
        if let text = request.query["wait"] {
            guard let wait = WaitDuration.parse(text) else {
                throw BadRequest(field: "wait", detail: "wait must be a duration such as 30s, 500ms or 1m.")
            }
            return min(wait, limits.max)
        }
        if let prefer = request.headers["Prefer"],
            let part = prefer.split(separator: ",").map({ $0.trimmingPrefix(" ") }).first(where: { $0.hasPrefix("wait=") })
        {
            guard let wait = WaitDuration.parse(String(part.dropFirst(5))) else {
                throw BadRequest(field: "Prefer", detail: "Prefer: wait= takes seconds, such as wait=30.")
            }
            return min(wait, limits.max)
        }
        return request.query["index"] != nil ? limits.standard : nil
    }
}

extension Gateway {
    /// The long-poll limits of this gateway.
    var waitLimits: LongPoll.Limits { LongPoll.Limits(max: options.maxWait) }

    /// The 429 of a long-poll over `--max-parked`.
    static let tooManyWaiters = HTTPResponse.problem(.tooManyRequests, type: "too-many-waiters",
        detail: "Too many long-polls are parked on this server; retry shortly.", headers: ["Retry-After": "1"])

    /// Parks the request on its loop until `render` answers a wake-up of `key`, or the wait
    /// (with jitter) ends, or the server shuts down; answers 429 with Retry-After when the
    /// process already parks `--max-parked` requests. A parked request holds no task: waking
    /// it is a call on the loop that applies the change.
    func park<Key: Hashable & SendableMetatype>(
        _ lot: ParkingLot<Key>, _ key: Key, wait: Duration, context: RequestContext, state: LoopState,
        render: @escaping (ParkingLot<Key>.Wake) -> HTTPResponse?
    ) -> HandlerResult {
        let deadline = context.loop.now + state.jittered(wait).wholeNanoseconds
        guard lot.park(key, context: context, deadline: deadline, render: render) != nil else {
            return .response(Self.tooManyWaiters)
        }
        return .deferred
    }

    /// Answers from a task on the connection's loop: `poll` reads and, while its read is not
    /// done, waits for a change to the paths it names until the wait (with jitter) ends.
    /// The task is cancelled when the client leaves (so a recipe can clean up) or the server
    /// shuts down (so the wait ends and answers at once).
    ///
    /// For reads that cannot park on the loop: their state is not in this loop's cache (a
    /// remote backend's first read), or it spans several nodes (recipes). A request that waits
    /// holds a slot of `--max-parked` until it answers, as a parked one does.
    func waitInTask<View: Sendable, Failure: ProblemConvertible>(
        _ context: RequestContext, wait: Duration?,
        poll: @escaping @Sendable (_ first: Bool) async throws(Failure) -> (View, PollStep),
        render: @escaping @Sendable (View, _ done: Bool) -> HTTPResponse
    ) -> HandlerResult {
        let span = wait.map { state(context).jittered($0) } ?? .zero
        return answerLaterCancellable(context, waits: span > .zero) { [fanout] in
            let deadline = ContinuousClock.now + span
            var first = true
            do throws(Failure) {
                let (view, done) = try await fanout.remote.poll(until: deadline) { () throws(Failure) in
                    defer { first = false }
                    return try await poll(first)
                }
                return render(view, done)
            } catch {
                return error.problemResponse
            }
        }
    }
}

extension LoopState {
    /// Adds up to wait/16 of jitter, so that waiters parked together do not all return together.
    func jittered(_ wait: Duration) -> Duration {
        let ns = wait.wholeNanoseconds
        let spread = ns / 16
        return spread > 0 ? .nanoseconds(Int64(ns + nextRandom() % (spread + 1))) : wait
    }
}
