import Coordination
import Testing

@Suite("CreateMode")
struct CreateModeTests {
    @Test(arguments: [
        (CreateMode.persistent, "persistent", 0, false, false, false),
        (.ephemeral, "ephemeral", 1, true, false, false),
        (.persistentSequential, "persistent_sequential", 2, false, true, false),
        (.ephemeralSequential, "ephemeral_sequential", 3, true, true, false),
        (.container, "container", 4, false, false, false),
        (.ttl, "ttl", 5, false, false, true),
        (.ttlSequential, "ttl_sequential", 6, false, true, true),
    ] as [(CreateMode, String, Int32, Bool, Bool, Bool)])
    func namesFlagsAndTraits(
        _ mode: CreateMode, raw: String, flag: Int32, ephemeral: Bool, sequential: Bool, ttl: Bool
    ) {
        #expect(mode.rawValue == raw)
        #expect(CreateMode(rawValue: raw) == mode)
        #expect(mode.zookeeperFlag == flag)
        #expect(CreateMode(zookeeperFlag: flag) == mode)
        #expect(mode.isEphemeral == ephemeral)
        #expect(mode.isSequential == sequential)
        #expect(mode.isTTL == ttl)
        #expect(mode.isContainer == (mode == .container))
    }

    @Test func unknownFlagsAndNamesAreRejected() {
        #expect(CreateMode(zookeeperFlag: 7) == nil)
        #expect(CreateMode(zookeeperFlag: -1) == nil)
        #expect(CreateMode(rawValue: "PERSISTENT") == nil)
        #expect(CreateMode(rawValue: "persistentSequential") == nil)
    }
}

@Suite("EphemeralType encoding")
struct EphemeralTypeTests {
    @Test(arguments: [
        (EphemeralType.persistent, Int64(0), Int64(0)),
        (.session(0x1234), 0x1234, 0x1234),
        (.session(Int64(bitPattern: 0xFE00_0000_0000_0005)), Int64(bitPattern: 0xFE00_0000_0000_0005),
            Int64(bitPattern: 0xFE00_0000_0000_0005)),
        (.container, Int64.min, 0),
        (.ttl(1), Int64(bitPattern: 0xFF00_0000_0000_0001), 0),
        (.ttl(5000), Int64(bitPattern: 0xFF00_0000_0000_1388), 0),
        (.ttl(EphemeralType.maxTTL), Int64(bitPattern: 0xFF00_00FF_FFFF_FFFF), 0),
    ] as [(EphemeralType, Int64, Int64)])
    func encodingMatchesZooKeeper(_ type: EphemeralType, owner: Int64, clientOwner: Int64) {
        #expect(type.ephemeralOwner == owner)
        #expect(EphemeralType(ephemeralOwner: owner) == type)
        #expect(type.clientEphemeralOwner == clientOwner)
    }

    @Test func maxTTLIsFortyBits() {
        #expect(EphemeralType.maxTTL == 1_099_511_627_775)
    }

    @Test func undefinedExtendedTypesAreRejected() {
        #expect(EphemeralType(ephemeralOwner: Int64(bitPattern: 0xFF00_0100_0000_0001)) == nil)
        #expect(EphemeralType(ephemeralOwner: Int64(bitPattern: 0xFFFF_0000_0000_0000)) == nil)
    }

    @Test func sessionIDsMustNotCollideWithOtherTypes() {
        #expect(EphemeralType.isValidSessionID(1))
        #expect(EphemeralType.isValidSessionID(Int64.max))
        #expect(EphemeralType.isValidSessionID(Int64(bitPattern: 0xFE00_0000_0000_0001)))
        #expect(EphemeralType.isValidSessionID(Int64.min + 1))
        #expect(!EphemeralType.isValidSessionID(0))
        #expect(!EphemeralType.isValidSessionID(Int64.min))
        #expect(!EphemeralType.isValidSessionID(-1))
        #expect(!EphemeralType.isValidSessionID(Int64(bitPattern: 0xFF00_0000_0000_0001)))
    }
}
