import Storage
import Testing
import TestSupport

/// The check value of the CRC catalogue and the vectors of RFC 3720 (iSCSI), appendix B.4.
private let vectors: [([UInt8], UInt32)] = [
    (Array("123456789".utf8), 0xE306_9283),
    ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
    ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
    ((0..<32).map { UInt8($0) }, 0x46DD_794E),
    ((0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
    ([], 0),
    (Array("a".utf8), 0xC1D0_4330),
    (Array("The quick brown fox jumps over the lazy dog".utf8), 0x2262_0404),
]

@Suite("CRC-32C")
struct CRC32CTests {
    @Test(arguments: vectors)
    func standardVectors(input: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(input) == expected)
    }

    @Test func iSCSIReadCommandPDU() {
        // RFC 3720 B.4: a 48-byte SCSI Read (10) command PDU.
        var pdu = [UInt8](repeating: 0, count: 48)
        pdu[0] = 0x01; pdu[1] = 0xC0; pdu[16] = 0x14; pdu[22] = 0x04; pdu[27] = 0x14
        pdu[31] = 0x18; pdu[32] = 0x28; pdu[40] = 0x02
        #expect(CRC32C.checksum(pdu) == 0xD996_3A56)
    }

    /// The 8-byte fast path and the byte tail must agree for every length and split.
    @Test func incrementalUpdatesEqualOneShot() {
        var rng = SeededGenerator(seed: 7)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for length in 0...data.count {
            let whole = CRC32C.checksum(data[0..<length])
            let split = Int.random(in: 0...length, using: &rng)
            var crc = CRC32C()
            crc.update(data[0..<split])
            crc.update(data[split..<length])
            #expect(crc.value == whole, "length \(length) split \(split)")
            #expect(whole == bitwiseReference(data[0..<length]), "length \(length)")
        }
    }

    /// The definition, one bit at a time: checks the tables on lengths the vectors miss.
    private func bitwiseReference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
