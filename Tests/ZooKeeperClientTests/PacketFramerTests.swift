import Testing
@testable import ZooKeeperClient

@Suite struct PacketFramerTests {
    // ping frame, a notification (header + WatcherEvent), and an empty payload
    static let payloads: [[UInt8]] = [
        hex("fffffffe0000000b"),
        hex("ffffffffffffffffffffffff00000000" + "00000003000000030000000b2f6170702f636f6e666967"),
        [],
    ]
    static let stream: [UInt8] = payloads.flatMap(PacketFramer.frame)

    @Test func everySplitPointOfThreePackets() throws {
        for split in 0...Self.stream.count {
            var f = PacketFramer()
            var got: [[UInt8]] = []
            f.append(Self.stream[..<split])
            while let p = try f.next() { got.append(p) }
            f.append(Self.stream[split...])
            while let p = try f.next() { got.append(p) }
            #expect(got == Self.payloads, "split at \(split)")
            #expect(f.bufferedCount == 0)
        }
    }

    @Test func byteByByte() throws {
        var f = PacketFramer()
        var got: [[UInt8]] = []
        for b in Self.stream {
            f.append([b])
            while let p = try f.next() { got.append(p) }
        }
        #expect(got == Self.payloads)
    }

    @Test func lengthOverLimitIsRefusedAndSticky() {
        var f = PacketFramer()
        f.append(hex("00100000"))
        #expect(throws: PacketFramer.FramingError.lengthOverLimit(0x100000, limit: 0xfffff)) { try f.next() }
        f.append([0, 0, 0, 0])
        #expect(throws: PacketFramer.FramingError.lengthOverLimit(0x100000, limit: 0xfffff)) { try f.next() }
    }

    @Test func negativeLengthIsRefused() {
        var f = PacketFramer()
        f.append(hex("ffffffff"))
        #expect(throws: PacketFramer.FramingError.negativeLength(-1)) { try f.next() }
    }

    @Test func exactlyTheLimitIsAccepted() throws {
        var f = PacketFramer()
        f.append(hex("000fffff"))
        #expect(try f.next() == nil)
        f.append([UInt8](repeating: 7, count: 0xfffff))
        #expect(try f.next()?.count == 0xfffff)
    }
}
