import Coordination
import Testing

@Suite("SessionText")
struct SessionTextTests {
    @Test(arguments: [
        (Int64(0), "0000000000000000"),
        (0x1, "0000000000000001"),
        (0x0123_4567_89ab_cdef, "0123456789abcdef"),
        (-1, "ffffffffffffffff"),
        (Int64.min, "8000000000000000"),
    ])
    func sixteenLowercaseHexDigits(id: Int64, text: String) {
        #expect(SessionText.format(id) == text)
    }
}
