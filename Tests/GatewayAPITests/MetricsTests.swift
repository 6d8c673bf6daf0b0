@testable import GatewayAPI
import HTTPServer
import Synchronization
import Testing

/// /metrics serves the server's counters, then those other modules registered with the stats
/// (the ZooKeeper backend's regressions), read at each scrape.
@Suite struct MetricsTests {
    @Test func registeredMetricsFollowTheServersOwnAndAreReadAtEachScrape() {
        let stats = HTTPServerStats()
        let regressions = Atomic<Int>(0)
        stats.register(RegisteredMetric(
            name: "zkgate_zookeeper_regressions_total", type: "counter", help: "Nodes seen older than acknowledged.",
            value: { regressions.load(ordering: .relaxed) }))
        func scrape() -> String { String(decoding: Metrics.render(stats).body, as: UTF8.self) }
        let first = scrape()
        #expect(first.contains("# HELP zkgate_zookeeper_regressions_total Nodes seen older than acknowledged.\n"
            + "# TYPE zkgate_zookeeper_regressions_total counter\nzkgate_zookeeper_regressions_total 0\n"))
        let own = first.range(of: "zkgate_http_requests_total")
        let registered = first.range(of: "zkgate_zookeeper_regressions_total")
        #expect(own != nil && registered != nil && own!.lowerBound < registered!.lowerBound)
        regressions.add(2, ordering: .relaxed)
        #expect(scrape().contains("\nzkgate_zookeeper_regressions_total 2\n"))
        #expect(!String(decoding: Metrics.render(HTTPServerStats()).body, as: UTF8.self).contains("zookeeper"),
                "nothing registered: only the server's own")
    }
}
