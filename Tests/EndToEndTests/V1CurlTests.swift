import Foundation
import TestSupport
import Testing

/// The /v1 API driven by curl exactly as a README walkthrough would, command line for command
/// line (split like a shell would, but run without one).
@Suite("End to end: /v1 with curl", .enabled(if: curlPath != nil, "needs curl"))
struct V1CurlTests {
    /// Splits a command line like sh: whitespace separates words, '…' is literal, "…" allows
    /// \" and \\.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(line).makeIterator()
        while let c = iterator.next() {
            switch c {
            case "'":
                inWord = true
                while let q = iterator.next(), q != "'" { current.append(q) }
            case "\"":
                inWord = true
                while let q = iterator.next(), q != "\"" {
                    if q == "\\", let escaped = iterator.next() { current.append(escaped) } else { current.append(q) }
                }
            case " ", "\t":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// Runs one `curl …` command line; fails the test when curl itself fails.
    @discardableResult
    static func sh(_ line: String, expectStatus: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let words = shellWords(line)
        #expect(words.first == "curl", sourceLocation: sourceLocation)
        let result = try runCommand(curlPath!, Array(words.dropFirst()), timeout: 20)
        #expect(result.status == expectStatus, "\(line): exit \(result.status), \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdoutText
    }

    static func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func readmeWalkthrough() throws {
        let server = try V1Server()
        defer { server.stop() }
        let B = server.base

        // Write configuration, creating the folders on the way.
        var out = try Self.sh("curl -s --json '{\"data\":\"hello\"}' -X PUT \(B)/v1/nodes/app/config?parents=true")
        var json = Self.object(out)
        #expect(json["path"] as? String == "/app/config", "\(out)")
        #expect(json["data"] as? String == "hello")
        #expect(json["encoding"] as? String == "utf8")

        // Read it back: as JSON, as raw bytes, with the headers.
        json = Self.object(try Self.sh("curl -s \(B)/v1/nodes/app/config"))
        #expect(json["data"] as? String == "hello")
        #expect(try Self.sh("curl -s -H 'Accept: application/octet-stream' \(B)/v1/nodes/app/config") == "hello")
        out = try Self.sh("curl -si \(B)/v1/nodes/app/config")
        #expect(out.hasPrefix("HTTP/1.1 200 OK\r\n"))
        let etag = try #require(out.components(separatedBy: "\r\n").first { $0.hasPrefix("ETag: ") }?.dropFirst(6))
        #expect(out.contains("\r\nZkgate-Index: "))
        #expect(out.contains("\r\nContent-Type: application/json\r\n"))

        // List the children.
        json = Self.object(try Self.sh("curl -s '\(B)/v1/nodes/app?children=true'"))
        #expect(json["children"] as? [String] == ["config"])

        // Compare-and-set with the ETag, then the same ETag again is refused.
        out = try Self.sh("curl -s -w '\\n%{http_code}' --json '{\"data\":\"v2\"}' -X PUT -H 'If-Match: \(etag)' \(B)/v1/nodes/app/config")
        #expect(out.hasSuffix("\n200"), "\(out)")
        out = try Self.sh("curl -s -w '\\n%{http_code} %{content_type}' --json '{\"data\":\"v3\"}' -X PUT -H 'If-Match: \(etag)' \(B)/v1/nodes/app/config")
        #expect(out.hasSuffix("\n412 application/problem+json"), "\(out)")
        #expect(Self.object(String(out.split(separator: "\n")[0]))["type"] as? String == "urn:zkgate:problem:etag-mismatch")

        // Raw bytes in from a file, base64 out.
        let dir = try TemporaryDirectory(prefix: "zkgate-v1-curl")
        defer { dir.remove() }
        let file = dir.file("blob.bin")
        try Data(allByteValues).write(to: URL(fileURLWithPath: file))
        out = try Self.sh("curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' --data-binary @\(file) \(B)/v1/nodes/app/blob")
        #expect(out == "201")
        json = Self.object(try Self.sh("curl -s '\(B)/v1/nodes/app/blob?encoding=base64'"))
        #expect(json["data"] as? String == Data(allByteValues).base64EncodedString())
        let copy = dir.file("copy.bin")
        try Self.sh("curl -s -o \(copy) -H 'Accept: application/octet-stream' \(B)/v1/nodes/app/blob")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: copy))) == allByteValues)

        // A session and an ephemeral member.
        json = Self.object(try Self.sh("curl -s --json '{\"ttl\":10000}' \(B)/v1/sessions"))
        let session = try #require(json["id"] as? String)
        out = try Self.sh("curl -s -i --json '{\"mode\":\"ephemeral\",\"session\":\"\(session)\",\"data\":\"worker-1\"}' \(B)/v1/nodes/app/members/worker-1?parents=true")
        #expect(out.hasPrefix("HTTP/1.1 201 Created\r\n"), "\(out)")
        #expect(out.contains("\r\nLocation: /v1/nodes/app/members/worker-1\r\n"))
        json = Self.object(try Self.sh("curl -s -X PUT \(B)/v1/sessions/\(session)"))
        #expect(intValue(json["expiresInMs"]) == 10000)
        json = Self.object(try Self.sh("curl -s \(B)/v1/sessions/\(session)"))
        #expect(json["ephemerals"] as? [String] == ["/app/members/worker-1"])

        // Sequential names for a queue.
        json = Self.object(try Self.sh("curl -s --json '{\"mode\":\"persistent_sequential\",\"data\":\"job\"}' \(B)/v1/nodes/app/queue/job-?parents=true"))
        #expect(json["path"] as? String == "/app/queue/job-0000000000")

        // A transaction.
        out = try Self.sh("""
            curl -s --json '{"ops":[{"op":"check","path":"/app/config","version":1},{"op":"set","path":"/app/config","data":"v4"},{"op":"create","path":"/app/flag"}]}' \(B)/v1/txn
            """)
        json = Self.object(out)
        #expect((json["results"] as? [Any])?.count == 3, "\(out)")
        out = try Self.sh("""
            curl -s -w '\\n%{http_code}' --json '{"ops":[{"op":"create","path":"/app/other"},{"op":"delete","path":"/app/missing"}]}' \(B)/v1/txn
            """)
        #expect(out.hasSuffix("\n404"), "\(out)")
        json = Self.object(String(out.split(separator: "\n")[0]))
        #expect(intValue(json["failedOp"]) == 1)
        #expect(json["reason"] as? String == "no-node")

        // A long-poll that times out unchanged, and a conditional one that answers 304.
        out = try Self.sh("curl -si \(B)/v1/nodes/app/config")
        let index = try #require(out.components(separatedBy: "\r\n").first { $0.hasPrefix("Zkgate-Index: ") }?.dropFirst(14))
        let newETag = try #require(out.components(separatedBy: "\r\n").first { $0.hasPrefix("ETag: ") }?.dropFirst(6))
        json = Self.object(try Self.sh("curl -s '\(B)/v1/nodes/app/config?index=\(index)&wait=1s'"))
        #expect(json["data"] as? String == "v4")
        out = try Self.sh("curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: \(newETag)' -H 'Prefer: wait=1' \(B)/v1/nodes/app/config")
        #expect(out == "304")

        // Close the session: its member goes. Then delete the tree.
        #expect(try Self.sh("curl -s -o /dev/null -w '%{http_code}' -X DELETE \(B)/v1/sessions/\(session)") == "204")
        #expect(try Self.sh("curl -s -o /dev/null -w '%{http_code}' \(B)/v1/nodes/app/members/worker-1") == "404")
        #expect(try Self.sh("curl -s -o /dev/null -w '%{http_code}' -X DELETE \(B)/v1/nodes/app") == "409")
        #expect(try Self.sh("curl -s -o /dev/null -w '%{http_code}' -X DELETE '\(B)/v1/nodes/app?recursive=true'") == "204")
        // curl -f fails on the 404.
        try Self.sh("curl -sf \(B)/v1/nodes/app", expectStatus: 22)
        #expect(try Self.sh("curl -s \(B)/readyz") == #"{"status":"ready"}"#)
    }

    /// One curl waits on a node; another curl's write wakes it with the new data.
    @Test func longPollWokenByAnotherCurl() throws {
        let server = try V1Server()
        defer { server.stop() }
        let B = server.base
        let first = Self.object(try Self.sh("curl -s --json '{\"data\":\"off\"}' -X PUT \(B)/v1/nodes/switch"))
        let mzxid = try #require(intValue((first["stat"] as? [String: Any])?["mzxid"]))
        let curl = curlPath!
        let waiter = Background("curl-long-poll") {
            try runCommand(curl, ["-s", "\(B)/v1/nodes/switch?index=\(mzxid)&wait=20s"], timeout: 30)
        }
        let metrics = try server.connect()
        #expect(try eventually(timeout: 5) { try metrics.parked() == 1 })
        #expect(!waiter.isFinished)
        let sent = monotonicSeconds()
        try Self.sh("curl -s -o /dev/null --json '{\"data\":\"on\"}' -X PUT \(B)/v1/nodes/switch")
        let done = try #require(waiter.wait(timeout: 10))
        #expect(done.finishedAt - sent < 2, "the waiting curl ended \(done.finishedAt - sent) s after the write")
        let result = try done.result.get()
        #expect(result.status == 0)
        #expect(Self.object(result.stdoutText)["data"] as? String == "on")
    }

    @Test func curlNormalisesDotSegmentsButPathAsIsIsRefused() throws {
        let server = try V1Server()
        defer { server.stop() }
        let B = server.base
        let out = try Self.sh("curl -s --path-as-is -w '\\n%{http_code}' --json '{\"data\":\"x\"}' -X PUT \(B)/v1/nodes/a/../b?parents=true")
        #expect(out.hasSuffix("\n400"), "\(out)")
        #expect(Self.object(String(out.split(separator: "\n")[0]))["type"] as? String == "urn:zkgate:problem:invalid-path")
        #expect(try Self.sh("curl -s -o /dev/null -w '%{http_code}' \(B)/v1/nodes/b") == "404")
    }
}
