import Coordination
import HTTPCore
import HTTPServer
import JSON
import Reactor

/// One server-sent-events watch feed: its key, the cursor it has sent up to, and the open
/// response it writes events to. Confined to its loop.
final class FeedStream: @unchecked Sendable {
    let key: FeedKey
    /// What the feed's principal may read; nil for everything.
    let filter: FeedFilter?
    let response: DeferredResponse
    var sent: Int64

    init(key: FeedKey, filter: FeedFilter?, response: DeferredResponse, sent: Int64) {
        self.key = key
        self.filter = filter
        self.response = response
        self.sent = sent
    }

    /// Sends the batch's events this feed watches and has not sent yet.
    func deliver(_ batch: ChangeBatch) {
        let events = batch.events.filter { $0.zxid > sent && key.matches($0) && filter?.allows($0.path) != false }
        sent = max(sent, batch.zxid)
        guard !events.isEmpty else { return }
        response.send(Self.encode(events))
    }

    /// `id`, `event` and `data` lines per event (text/event-stream).
    static func encode(_ events: [WatchEvent]) -> [UInt8] {
        var out: [UInt8] = []
        for event in events {
            out.append(contentsOf: "id: \(event.zxid)\nevent: \(event.kind.rawValue)\ndata: ".utf8)
            var w = JSONWriter()
            WatchFeed.write(event, into: &w)
            out.append(contentsOf: w.bytes)
            out.append(contentsOf: "\n\n".utf8)
        }
        return out
    }
}

extension LoopState {
    static let heartbeatNanoseconds: UInt64 = 15_000_000_000

    func addStream(_ stream: FeedStream) {
        streams[stream.key, default: []].append(stream)
        startHeartbeat()
    }

    /// Forgets a feed and gives back its slot of `--max-parked`.
    func removeStream(_ stream: FeedStream) {
        guard let i = streams[stream.key]?.firstIndex(where: { $0 === stream }) else { return }
        streams[stream.key]?.remove(at: i)
        if streams[stream.key]?.isEmpty == true { streams.removeValue(forKey: stream.key) }
        budget.release(1)
    }

    /// One timer per loop keeps every open feed's proxies from timing it out.
    private func startHeartbeat() {
        guard heartbeat == nil, let loop else { return }
        heartbeat = loop.schedule(after: Self.heartbeatNanoseconds) { [weak self] in
            guard let self else { return }
            self.heartbeat = nil
            guard !self.streams.isEmpty else { return }
            let comment = Array(": heartbeat\n\n".utf8)
            for list in self.streams.values { for stream in list { stream.response.send(comment) } }
            self.startHeartbeat()
        }
    }
}
