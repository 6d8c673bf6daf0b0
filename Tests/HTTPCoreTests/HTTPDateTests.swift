import HTTPCore
import Testing

/// Expected strings are what `date -u -d @N '+%a, %d %b %Y %H:%M:%S GMT'` prints.
@Suite("HTTPDate")
struct HTTPDateTests {
    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"),
        (86_399, "Thu, 01 Jan 1970 23:59:59 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        // 2000 is a leap year although divisible by 100: the day before 1 March is 29 February.
        (951_868_799, "Tue, 29 Feb 2000 23:59:59 GMT"),
        (951_868_800, "Wed, 01 Mar 2000 00:00:00 GMT"),
        (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
        // 2100 is not a leap year.
        (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"),
    ])
    func formatsLikeDate(epoch: Int64, expected: String) {
        #expect(HTTPDate.format(epochSeconds: epoch) == expected)
    }

    @Test func beforeTheEpochIsClampedToIt() {
        #expect(HTTPDate.format(epochSeconds: -1) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func everyDayOfAYearHasTheFixedLength() {
        // IMF-fixdate is fixed width; a missing zero pad would change the length.
        for day in 0..<366 {
            let epoch = Int64(1_704_067_200 + day * 86_400 + 3_661)
            #expect(HTTPDate.format(epochSeconds: epoch).utf8.count == 29, "day \(day)")
        }
    }
}
