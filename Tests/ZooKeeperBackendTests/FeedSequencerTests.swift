import Coordination
import Testing
import ZooKeeperClient
@testable import ZooKeeperBackend

/// Notifications become change batches labelled by the next zxid mark, with the children
/// events a recursive watch does not send rebuilt in DataTree's order.
@Suite("FeedSequencer")
struct FeedSequencerTests {
    func event(_ type: EventType, _ path: String) -> WatcherEvent {
        WatcherEvent(type: type, state: .syncConnected, path: path)
    }

    func describe(_ batch: ChangeBatch?) -> [String] {
        (batch?.events ?? []).map { "\($0.kind) \($0.path.string) \($0.zxid)" }
    }

    @Test("creates and deletes add the parent's children event; data changes do not")
    func childrenRebuilt() {
        var sequencer = FeedSequencer(hidden: ["/zkgate"])
        #expect(sequencer.notified(event(.nodeCreated, "/a/b")) == true)
        #expect(sequencer.notified(event(.nodeDataChanged, "/a/b")) == true)
        #expect(sequencer.notified(event(.nodeDeleted, "/a/b")) == true)
        #expect(describe(sequencer.mark(9)) == [
            "created /a/b 9", "childrenChanged /a 9", "dataChanged /a/b 9", "deleted /a/b 9", "childrenChanged /a 9",
        ])
        #expect(sequencer.mark(10) == nil, "a mark with nothing pending makes no batch")
    }

    @Test("the gateway's own records and /zookeeper make no events")
    func hiddenPaths() {
        var sequencer = FeedSequencer(hidden: ["/zkgate", "/zookeeper"])
        #expect(sequencer.notified(event(.nodeCreated, "/zkgate/sessions/1")) == false)
        #expect(sequencer.notified(event(.nodeDataChanged, "/zookeeper/config")) == false)
        #expect(sequencer.notified(event(.nodeDataChanged, "/zkgate")) == false)
        #expect(sequencer.notified(event(.nodeCreated, "/zkgatex")) == true, "a sibling with a longer name is not hidden")
        #expect(describe(sequencer.mark(3)) == ["created /zkgatex 3", "childrenChanged / 3"])
    }

    @Test("a root create has no parent event; an unusable path is ignored")
    func edges() {
        var sequencer = FeedSequencer(hidden: [])
        #expect(sequencer.notified(event(.nodeCreated, "not/absolute")) == false)
        #expect(sequencer.notified(event(.nodeDataChanged, "/")) == true)
        #expect(sequencer.notified(event(.nodeCreated, "/")) == true)
        #expect(describe(sequencer.mark(4)) == ["dataChanged / 4", "created / 4"])
    }
}
