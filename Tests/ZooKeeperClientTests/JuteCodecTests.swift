import Testing
@testable import ZooKeeperClient

@Suite struct JuteCodecTests {
    @Test func primitivesAreBigEndian() throws {
        var w = JuteWriter()
        w.writeInt32(-2); w.writeInt64(0x0102_0304_0506_0708); w.writeBool(true); w.writeBool(false)
        #expect(w.bytes == hex("fffffffe 0102030405060708 01 00"))
        var r = JuteReader(w.bytes)
        #expect(try r.readInt32() == -2)
        #expect(try r.readInt64() == 0x0102_0304_0506_0708)
        #expect(try r.readBool() == true)
        #expect(try r.readBool() == false)
        try r.finish()
    }

    @Test func nullAndEmptyBuffersAndStrings() throws {
        var w = JuteWriter()
        w.writeBuffer(nil); w.writeBuffer([]); w.writeString(nil); w.writeString(""); w.writeString("é")
        w.writeStringVector(nil); w.writeStringVector([])
        #expect(w.bytes == hex("ffffffff 00000000 ffffffff 00000000 00000002c3a9 ffffffff 00000000"))
        var r = JuteReader(w.bytes)
        #expect(try r.readBuffer() == nil)
        #expect(try r.readBuffer() == [])
        #expect(try r.readString() == nil)
        #expect(try r.readString() == "")
        #expect(try r.readString() == "é")
        #expect(try r.readStringVector() == nil)
        #expect(try r.readStringVector() == [])
        #expect(r.isAtEnd)
    }

    @Test func negativeLengthOtherThanMinusOne() {
        var r = JuteReader(hex("fffffffe"))
        #expect(throws: JuteError.negativeLength(-2)) { try r.readBuffer() }
        var v = JuteReader(hex("80000000"))
        #expect(throws: JuteError.negativeLength(Int32.min)) { try v.readStringVector() }
    }

    @Test func lengthOverLimit() {
        var r = JuteReader(hex("00100000") + [UInt8](repeating: 0, count: 16))
        #expect(throws: JuteError.lengthOverLimit(0x100000)) { try r.readString() }
        var v = JuteReader(hex("7fffffff"))
        #expect(throws: JuteError.lengthOverLimit(Int32.max)) { try v.readStringVector() }
        // exactly the limit is allowed by the length check (then truncated here)
        var ok = JuteReader(hex("000fffff"))
        #expect(throws: JuteError.truncated) { try ok.readBuffer() }
    }

    /// ASCII strings take a fast path, others the validating one; both read in place, in turn.
    @Test func asciiAndOtherStringsInARow() throws {
        var w = JuteWriter()
        w.writeString("/a/b"); w.writeString("/é/ü"); w.writeString("/\u{7F}"); w.writeStringVector(["/x", "/ÿ", ""])
        var r = JuteReader(w.bytes)
        #expect(try r.readString() == "/a/b")
        #expect(try r.readString() == "/é/ü")
        #expect(try r.readString() == "/\u{7F}")
        #expect(try r.readStringVector() == ["/x", "/ÿ", ""])
        #expect(r.isAtEnd)
        // An invalid byte after ASCII ones; a string cut short consumes only its length.
        var bad = JuteReader(hex("00000003 2f61c3"))
        #expect(throws: JuteError.invalidUTF8) { try bad.readString() }
        var short = JuteReader(hex("00000004 2f61"))
        #expect(throws: JuteError.truncated) { try short.readString() }
        #expect(short.offset == 4)
    }

    @Test func invalidUTF8() {
        var r = JuteReader(hex("00000002 c328"))
        #expect(throws: JuteError.invalidUTF8) { try r.readString() }
        var r2 = JuteReader(hex("00000001 ff"))
        #expect(throws: JuteError.invalidUTF8) { try r2.readString() }
    }

    @Test func trailingBytes() {
        #expect(throws: JuteError.trailingBytes(1)) { try SyncRequest.decode(hex("000000012f 00")) }
    }

    @Test func truncatedPrimitives() {
        for n in 0..<8 {
            var r = JuteReader([UInt8](repeating: 0, count: n))
            #expect(throws: JuteError.truncated) { try r.readInt64() }
        }
        var b = JuteReader([])
        #expect(throws: JuteError.truncated) { try b.readBool() }
        var s = JuteReader(hex("00000003 6162"))
        #expect(throws: JuteError.truncated) { try s.readString() }
    }

    @Test func hugeVectorCountWithFewBytesIsTruncatedNotACrash() {
        var r = JuteReader(hex("000fffff 00000001 61"))
        #expect(throws: JuteError.truncated) { try r.readStringVector() }
    }

    @Test func constants() {
        #expect(Xid.notification == -1 && Xid.ping == -2 && Xid.auth == -4 && Xid.setWatches == -8)
        #expect(Xid.next(after: 1) == 2 && Xid.next(after: Int32.max) == 1 && Xid.next(after: 0) == 1)
        #expect(OpCode.closeSession.rawValue == -11 && OpCode.addWatch.rawValue == 106 && OpCode.setWatches2.rawValue == 105)
        #expect(CreateMode.persistentWithTTL.opCode == .createTTL && CreateMode.container.opCode == .createContainer)
        #expect(CreateMode.ephemeralSequential.opCode == .create2 && CreateMode.ephemeralSequential.isSequential)
        #expect(ACL.Perms.all.rawValue == 31)
        #expect(ErrorCode.noWatcher.rawValue == -121 && ErrorCode.throttledOp.rawValue == -127)
        #expect(KeeperState.expired.rawValue == -112 && EventType.persistentWatchRemoved.rawValue == 7)
        #expect(sampleStat.encoded().count == Stat.encodedSize)
    }
}

@Suite struct MultiReadCodecTests {
    @Test func requestAndResponseRoundTrip() throws {
        let request = MultiReadRequest(ops: [.getData("/a"), .getChildren("/b")])
        #expect(try MultiReadRequest.decode(request.encoded()) == request)
        // {4,false,-1} "/a" false  {8,false,-1} "/b" false  {-1,true,-1}
        #expect(request.encoded() == hex("""
            00000004 00 ffffffff 00000002 2f61 00
            00000008 00 ffffffff 00000002 2f62 00
            ffffffff 01 ffffffff
            """))
        let response = MultiReadResponse(results: [.data([1], Stat(czxid: 1)), .children(["x"]), .error(.noNode)])
        #expect(try MultiReadResponse.decode(response.encoded()) == response)
        for cut in 0..<response.encoded().count {
            #expect(throws: JuteError.self) { try MultiReadResponse.decode(Array(response.encoded()[..<cut])) }
        }
    }
}
