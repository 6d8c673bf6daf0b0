import Coordination
import HTTPCore
import HTTPServer
import JSON
import Reactor
import Recipes

/// What a parked long-poll waits on: a node's data, or its data and children.
struct WaitKey: Hashable {
    var path: ZNodePath
    var children: Bool
}

/// The gateway's state on one event loop: a read cache kept coherent by the change batches
/// this loop applies, and the long-polls parked here. Confined to its loop, so a cache hit
/// or a wake-up takes no lock.
final class LoopState: @unchecked Sendable {
    struct Entry {
        var read: ReadResult
        /// The default JSON answer, rendered once and reused until the node changes.
        var prepared: HTTPResponse?
    }

    private(set) var loop: EventLoop?
    private(set) var parking: ParkingLot<WaitKey>?
    /// Watch-feed long-polls, woken with the events of the batch being applied.
    private(set) var feedParking: ParkingLot<FeedKey>?
    /// Effective-config long-polls, by the config path they merge down to: a change to any
    /// layer wakes the waiters of every path at or below it.
    private(set) var configParking: ParkingLot<ZNodePath>?
    /// Rendered effective configs by path, dropped when any of their layers changes.
    var configCache: [ZNodePath: ConfigAnswer] = [:]
    /// Parsed config layers by path, with the mzxid they were parsed at.
    var parsedLayers: [ZNodePath: (mzxid: Int64, object: Result<JSONObject?, RecipeError>)] = [:]
    static let parsedLayersCapacity = 10_000
    /// The root configuration layer.
    let configRoot: ZNodePath
    /// The batch `apply` is working through, for feed waiters to render from.
    private(set) var currentBatch: ChangeBatch?
    /// Server-sent-event feeds on this loop.
    var streams: [FeedKey: [FeedStream]] = [:]
    var heartbeat: TimerID?
    private var cache: [WaitKey: Entry] = [:]
    /// The zxid of the last change batch applied here.
    private(set) var appliedIndex: Int64 = 0
    let budget: ParkingBudget
    /// The access policy as this loop applies it (used only when a policy is in force).
    let access = LoopAccess()
    static let cacheCapacity = 50_000
    /// xorshift64*: jitter needs spread, not secrecy, and must not take a lock.
    private var random: UInt64 = 0x9E37_79B9_7F4A_7C15

    func nextRandom() -> UInt64 {
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        return random &* 0x2545_F491_4F6C_DD1D
    }

    init(budget: ParkingBudget, configRoot: ZNodePath) {
        self.budget = budget
        self.configRoot = configRoot
    }

    /// Binds the state to its loop on first use (on that loop's thread).
    /// - Returns: true the first time, so the caller can register the loop for change batches.
    func attach(_ loop: EventLoop) -> Bool {
        guard self.loop == nil else { return false }
        self.loop = loop
        parking = ParkingLot(loop: loop, budget: budget)
        feedParking = ParkingLot(loop: loop, budget: budget)
        configParking = ParkingLot(loop: loop, budget: budget)
        return true
    }

    /// A cached read no older than `atLeast`, or nil.
    func cached(_ key: WaitKey, atLeast index: Int64) -> Entry? {
        guard let entry = cache[key], entry.read.index >= index || appliedIndex >= index else { return nil }
        return entry
    }

    func store(_ key: WaitKey, _ read: ReadResult, prepared: HTTPResponse? = nil) {
        // Only a read at least as new as what this loop has applied may be cached: an older one
        // could miss an invalidation that has already passed.
        guard read.index >= appliedIndex else { return }
        if cache.count >= Self.cacheCapacity, cache[key] == nil, let victim = cache.keys.first {
            cache.removeValue(forKey: victim)
        }
        cache[key] = Entry(read: read, prepared: prepared)
    }

    func setPrepared(_ key: WaitKey, _ response: HTTPResponse) {
        cache[key]?.prepared = response
    }

    /// Applies a change batch: drops what it changed from the cache and wakes the long-polls
    /// that wait on it (each re-checks its condition when it renders).
    func apply(_ batch: ChangeBatch) {
        appliedIndex = max(appliedIndex, batch.zxid)
        currentBatch = batch
        defer { currentBatch = nil }
        if batch.resync {
            // Changes may have been missed: nothing cached holds, every long-poll re-checks
            // against the backend's fresh state, parked feeds get 410 (their waiters see the
            // resync batch) and streams end, so their clients resume and learn of the gap.
            cache.removeAll()
            configCache.removeAll()
            parsedLayers.removeAll()
            parking?.wakeAll()
            feedParking?.wakeAll()
            configParking?.wakeAll()
            let ended = streams.values.flatMap { $0 }
            streams.removeAll()
            budget.release(ended.count)
            for stream in ended { stream.response.finish() }
            return
        }
        // The feeds' keys (each event's ancestors) are worked out only when this loop has a
        // feed waiting or streaming: most writes meet none.
        let feedsWaiting = (feedParking?.count ?? 0) > 0 || !streams.isEmpty
        let configWatched = !configCache.isEmpty || (configParking?.count ?? 0) > 0
        var feeds = Set<FeedKey>()
        var configChanges: [ZNodePath] = []
        // Every event of every write reaches every loop: an empty table is not probed, since
        // each probe hashes the path.
        let cached = !cache.isEmpty
        let parked = parking.map { $0.count > 0 } ?? false
        for event in batch.events {
            if configWatched, event.path == configRoot || configRoot.isAncestor(of: event.path) {
                configChanges.append(event.path)
            }
            let data = WaitKey(path: event.path, children: false)
            let children = WaitKey(path: event.path, children: true)
            if cached {
                cache.removeValue(forKey: data)
                cache.removeValue(forKey: children)
            }
            if parked, let parking {
                if event.kind != .childrenChanged { parking.wake(data) }
                parking.wake(children)
            }
            guard feedsWaiting else { continue }
            feeds.insert(FeedKey(path: event.path, recursive: false))
            var ancestor: ZNodePath? = event.path
            while let a = ancestor {
                feeds.insert(FeedKey(path: a, recursive: true))
                ancestor = a.parent
            }
        }
        // After the whole batch has left the cache, so a config renders all of it or none.
        if !configChanges.isEmpty { applyToConfig(configChanges) }
        for key in feeds {
            feedParking?.wake(key)
            if let subscribers = streams[key] {
                for stream in subscribers { stream.deliver(batch) }
            }
        }
    }
}

extension LoopState {
    /// A rendered effective config and the change index of its layers.
    struct ConfigAnswer {
        var changeIndex: Int64
        var index: Int64
        var etag: String
        var response: HTTPResponse
    }

    /// Layers at `paths` changed: every config at or below them is stale, and its waiters
    /// re-check.
    private func applyToConfig(_ paths: [ZNodePath]) {
        let affected = { (leaf: ZNodePath) in paths.contains { $0 == leaf || $0.isAncestor(of: leaf) } }
        if !configCache.isEmpty {
            for leaf in configCache.keys where affected(leaf) { configCache.removeValue(forKey: leaf) }
        }
        if !parsedLayers.isEmpty {
            for path in paths { parsedLayers.removeValue(forKey: path) }
        }
        guard let configParking, configParking.count > 0 else { return }
        for leaf in configParking.keys where affected(leaf) { configParking.wake(leaf) }
    }
}

extension LoopState {
    /// A config layer's object, parsed once per change: reused while the node's mzxid is the
    /// one it was parsed at. A missing node (no mzxid) is an empty layer and is not kept.
    ///
    /// - Throws: `.layerNotObject`, as `ConfigLayers.parse`, from the cache too.
    func parsedLayer(_ layer: ConfigLayers.Layer, mzxid: Int64?) throws(RecipeError) -> JSONObject? {
        guard let mzxid else { return nil }
        if let kept = parsedLayers[layer.path], kept.mzxid == mzxid { return try kept.object.get() }
        let result: Result<JSONObject?, RecipeError>
        do throws(RecipeError) {
            result = .success(try ConfigLayers.parse(layer))
        } catch {
            result = .failure(error)
        }
        if parsedLayers.count >= Self.parsedLayersCapacity, parsedLayers[layer.path] == nil, let victim = parsedLayers.keys.first {
            parsedLayers.removeValue(forKey: victim)
        }
        parsedLayers[layer.path] = (mzxid, result)
        return try result.get()
    }
}
