import Coordination
import JSON
import Synchronization

/// Service registration in Curator ServiceDiscovery's layout (`<root>/<service>/<id>`, one
/// `ServiceInstance` JSON object each), bound to device sessions.
///
/// Registrations heal: when an instance node disappears while its device session lives (on
/// ZooKeeper, the gateway's own ZooKeeper session was lost; or someone deleted it), it is
/// created again, as Curator re-registers its instances after a reconnect.
public final class ServiceRegistry: Sendable {
    let backend: any CoordinationBackend
    public let root: ZNodePath
    /// What this process registered and must keep alive: path → (session, data).
    private let kept = Mutex<[ZNodePath: (session: Int64, data: [UInt8])]>([:])
    /// Reads reflect at least this process's own last registration change.
    private let floor = WriteFloor()
    /// Instances as parsed, by path, with the mzxid they were parsed at: a listing parses an
    /// instance once per change, not once per read (a large payload costs its writer, not
    /// every reader).
    private let parsed = Mutex<[ZNodePath: (mzxid: Int64, instance: ServiceInstance?)]>([:])
    static let parsedCapacity = 100_000

    public init(backend: any CoordinationBackend, root: ZNodePath) {
        self.backend = backend
        self.root = root
    }

    /// A listing of one service.
    public struct Listing: Sendable {
        public var instances: [ServiceInstance]
        public var index: Int64
        /// Moves when an instance is added, removed or changed.
        public var changeIndex: Int64
        /// The paths whose changes move it, for long-polls.
        public var paths: Set<ZNodePath>
    }

    /// Registers (or re-registers, replacing) an instance owned by `session`.
    ///
    /// - Throws: `.coordination(.sessionExpired)` for an unknown session; `.invalidName`.
    public func register(_ instance: ServiceInstance, session: Int64) async throws(RecipeError) -> (ServiceInstance, Int64) {
        let path = try instancePath(instance.name, instance.id)
        let data = instance.storedJSON.serialized()
        let zxid = try await put(path, data: data, session: session)
        floor.raise(to: zxid)
        kept.withLock { $0[path] = (session, data) }
        return (instance, zxid)
    }

    /// Removes an instance.
    ///
    /// - Throws: `.coordination(.noNode)` when it is not registered.
    public func deregister(service: String, id: String) async throws(RecipeError) -> Int64 {
        let path = try instancePath(service, id)
        _ = kept.withLock { $0.removeValue(forKey: path) }
        do throws(MultiFailure) {
            let zxid = try await backend.commit([.delete(path: path, version: Operation.anyVersion)], session: nil).zxid
            floor.raise(to: zxid)
            return zxid
        } catch {
            throw error.error.recipe
        }
    }

    /// One instance.
    public func instance(service: String, id: String) async throws(RecipeError) -> (ServiceInstance?, ReadResult) {
        let path = try instancePath(service, id)
        let read: ReadResult
        do { read = try await backend.readAny(path, children: false, atLeast: floor.index) } catch { throw error.recipe }
        return (read.node.flatMap { instance(at: path, $0) }, read)
    }

    /// The instances of `service`, in id order. Nodes that do not hold an instance are left out.
    public func list(_ service: String) async throws(RecipeError) -> Listing {
        let directory = try RecipeName.path(service, under: root)
        guard !service.contains("/") else { throw .invalidName(service, reason: "a service name is one path segment") }
        let read: ReadResult
        do { read = try await backend.readAny(directory, children: true, atLeast: floor.index) } catch { throw error.recipe }
        var listing = Listing(instances: [], index: read.index, changeIndex: read.changeIndex, paths: [directory])
        for child in read.node?.children ?? [] {
            guard let path = try? directory.appending(child) else { continue }
            listing.paths.insert(path)
            let node: ReadResult
            do { node = try await backend.readAny(path, children: false, atLeast: floor.index) } catch { throw error.recipe }
            guard let snapshot = node.node else { continue }
            listing.changeIndex = max(listing.changeIndex, snapshot.stat.mzxid)
            if let instance = instance(at: path, snapshot) { listing.instances.append(instance) }
        }
        return listing
    }

    /// The instance a node holds, parsed once per mzxid.
    private func instance(at path: ZNodePath, _ snapshot: NodeSnapshot) -> ServiceInstance? {
        let mzxid = snapshot.stat.mzxid
        if let kept = parsed.withLock({ $0[path] }), kept.mzxid == mzxid { return kept.instance }
        let instance = ServiceInstance(data: snapshot.data)
        parsed.withLock { table in
            if table.count >= Self.parsedCapacity, table[path] == nil, let victim = table.keys.first {
                table.removeValue(forKey: victim)
            }
            table[path] = (mzxid, instance)
        }
        return instance
    }

    /// The service names (the children of the root).
    public func names() async throws(RecipeError) -> (names: [String], index: Int64, changeIndex: Int64) {
        let read: ReadResult
        do { read = try await backend.readAny(root, children: true, atLeast: floor.index) } catch { throw error.recipe }
        return (read.node?.children ?? [], read.index, read.changeIndex)
    }

    /// Sees every change batch: an instance of ours that was deleted, or every instance after
    /// a resync, is checked and re-created while its session lives.
    public func observe(_ batch: ChangeBatch) {
        let lost: [ZNodePath] = kept.withLock { kept in
            guard !kept.isEmpty else { return [] }
            if batch.resync { return Array(kept.keys) }
            return batch.events.compactMap { $0.kind == .deleted && kept[$0.path] != nil ? $0.path : nil }
        }
        guard !lost.isEmpty else { return }
        Task { await heal(lost) }
    }

    private func heal(_ paths: [ZNodePath]) async {
        for path in paths {
            // After a session loss the backend may need a moment: retry for a while.
            for attempt in 0..<20 {
                guard let (session, data) = kept.withLock({ $0[path] }) else { break }
                do throws(RecipeError) {
                    let present: Bool
                    do { present = try await backend.readAny(path, children: false, atLeast: floor.index).node != nil } catch { throw error.recipe }
                    if present { break }
                    _ = try await put(path, data: data, session: session, replace: false)
                    break
                } catch {
                    if case .coordination(.sessionExpired) = error {
                        kept.withLock { if $0[path]?.session == session { $0.removeValue(forKey: path) } }
                        break
                    }
                    if case .coordination(.nodeExists) = error { break }
                    try? await Task.sleep(nanoseconds: UInt64(min(5_000, 100 << attempt)) * 1_000_000)
                }
            }
        }
    }

    private func put(_ path: ZNodePath, data: [UInt8], session: Int64, replace: Bool = true) async throws(RecipeError) -> Int64 {
        let create = Operation.create(path: path, data: data, mode: .ephemeral)
        for _ in 0..<4 {
            do {
                let exists = replace ? try await backend.readAny(path, children: false, atLeast: floor.index).node != nil : false
                if exists {
                    let (_, zxid) = try await backend.commit([.delete(path: path, version: Operation.anyVersion), create], session: session)
                    return zxid
                }
                return try await backend.createWithContainers(create, session: session).1.czxid
            } catch let failure as MultiFailure {
                // Deleted meanwhile: create it; created meanwhile: replace it.
                if case .noNode = failure.error, failure.index == 0 { continue }
                throw failure.error.recipe
            } catch let error as CoordinationError {
                if case .nodeExists = error, replace { continue }
                throw error.recipe
            } catch {
                throw .coordination(.unavailable("\(error)"))
            }
        }
        throw .coordination(.unavailable("the instance at \(path) kept changing"))
    }

    func instancePath(_ service: String, _ id: String) throws(RecipeError) -> ZNodePath {
        guard !service.contains("/") else { throw .invalidName(service, reason: "a service name is one path segment") }
        guard !id.contains("/") else { throw .invalidName(id, reason: "an instance id is one path segment") }
        return try RecipeName.path(service + "/" + id, under: root)
    }
}
