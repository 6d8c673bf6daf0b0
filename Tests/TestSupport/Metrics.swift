/// Parses Prometheus text exposition into `name → value` for unlabelled samples, which is
/// all /metrics serves.
public func parsePrometheus(_ text: String) -> [String: Int] {
    var values: [String: Int] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
    }
    return values
}

extension RawHTTPClient {
    /// GET /metrics on this connection (keep-alive), parsed. Using one long-lived connection
    /// for metrics keeps the connection gauges predictable: it counts itself exactly once.
    public func metrics() throws -> [String: Int] {
        let response = try request("GET", "/metrics")
        guard response.status == 200 else { throw HTTPClientError.malformed("/metrics answered \(response.status)") }
        return parsePrometheus(response.bodyText)
    }

    /// One metric, or -1 when absent, so a comparison with a real value fails visibly.
    public func metric(_ name: String) throws -> Int { try metrics()[name] ?? -1 }
}
