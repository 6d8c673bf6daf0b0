/// The watches the server holds for this session, kept so they can be restored with
/// SetWatches/SetWatches2 after a reconnect to another member. Paths are server paths (with
/// the chroot).
public struct WatchRegistry: Equatable, Sendable {
    public private(set) var data: Set<String> = []
    public private(set) var exist: Set<String> = []
    public private(set) var child: Set<String> = []
    public private(set) var persistent: Set<String> = []
    public private(set) var persistentRecursive: Set<String> = []

    public init() {}

    public var isEmpty: Bool {
        data.isEmpty && exist.isEmpty && child.isEmpty && persistent.isEmpty && persistentRecursive.isEmpty
    }

    /// What a successful request left registered on the server.
    public enum Registration: Equatable, Sendable {
        /// getData with watch, or exists with watch on a node that exists.
        case data(String)
        /// exists with watch on a node that does not exist (the server keeps it anyway).
        case exist(String)
        case child(String)
        case persistent(String)
        case persistentRecursive(String)
        /// removeWatches of this type.
        case remove(String, WatcherType)
    }

    mutating func apply(_ registration: Registration) {
        switch registration {
        case .data(let p): data.insert(p)
        case .exist(let p): exist.insert(p)
        case .child(let p): child.insert(p)
        case .persistent(let p): persistent.insert(p)
        case .persistentRecursive(let p): persistentRecursive.insert(p)
        case .remove(let p, let type):
            if type != .children { data.remove(p); exist.remove(p); persistent.remove(p); persistentRecursive.remove(p) }
            if type != .data { child.remove(p); persistent.remove(p); persistentRecursive.remove(p) }
        }
    }

    /// One-shot watches fire once: forget the ones an event used up (the server did too).
    /// Every notification of a recursive watch comes through here, and most sessions hold no
    /// one-shot watches, so empty sets are skipped before the path is hashed.
    mutating func fired(_ event: WatcherEvent) {
        switch event.type {
        case .nodeCreated, .nodeDataChanged, .dataWatchRemoved:
            Self.forget(event.path, in: &data); Self.forget(event.path, in: &exist)
        case .nodeDeleted:
            Self.forget(event.path, in: &data); Self.forget(event.path, in: &exist); Self.forget(event.path, in: &child)
        case .nodeChildrenChanged, .childWatchRemoved:
            Self.forget(event.path, in: &child)
        case .persistentWatchRemoved:
            Self.forget(event.path, in: &persistent); Self.forget(event.path, in: &persistentRecursive)
        default:
            break
        }
    }

    private static func forget(_ path: String, in watches: inout Set<String>) {
        if !watches.isEmpty { watches.remove(path) }
    }

    /// SetWatches2 packets restoring every watch, each with at most `maxPathBytes` of path
    /// characters so that no packet nears the server's limit. SetWatches (101) is used when
    /// there are no persistent watches, so servers before 3.6 understand it.
    func restorePackets(relativeZxid: Int64, maxPathBytes: Int) -> [(OpCode, any JuteRecord)] {
        var packets: [(OpCode, any JuteRecord)] = []
        let usePersistent = !(persistent.isEmpty && persistentRecursive.isEmpty)
        var current = SetWatches2(relativeZxid: relativeZxid)
        var bytes = 0
        func flush() {
            guard bytes > 0 else { return }
            if usePersistent {
                packets.append((.setWatches2, current))
            } else {
                packets.append((.setWatches, SetWatches(
                    relativeZxid: relativeZxid, dataWatches: current.dataWatches,
                    existWatches: current.existWatches, childWatches: current.childWatches)))
            }
            current = SetWatches2(relativeZxid: relativeZxid)
            bytes = 0
        }
        func add(_ paths: Set<String>, _ key: WritableKeyPath<SetWatches2, [String]>) {
            for p in paths.sorted() {
                let cost = p.utf8.count + 4
                if bytes + cost > maxPathBytes { flush() }
                current[keyPath: key].append(p)
                bytes += cost
            }
        }
        add(data, \.dataWatches)
        add(exist, \.existWatches)
        add(child, \.childWatches)
        add(persistent, \.persistentWatches)
        add(persistentRecursive, \.persistentRecursiveWatches)
        flush()
        return packets
    }
}
