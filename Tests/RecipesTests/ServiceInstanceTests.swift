import JSON
import Recipes
import Testing

@Suite("Service instances (Curator ServiceDiscovery JSON)")
struct ServiceInstanceTests {
    @Test("written in Curator's field order, and read back")
    func roundTrip() throws {
        let instance = ServiceInstance(name: "api", id: "i1", address: "10.0.0.7", port: 8080, sslPort: nil,
            payload: .object(JSONObject([("zone", .string("eu"))])), registrationTimeUTC: 1_700_000_000_000)
        let text = instance.json.jsonText
        #expect(text == #"{"name":"api","id":"i1","address":"10.0.0.7","port":8080,"sslPort":null,"payload":{"zone":"eu"},"registrationTimeUTC":1700000000000,"serviceType":"DYNAMIC","uriSpec":null,"enabled":true}"#)
        #expect(ServiceInstance(data: Array(text.utf8)) == instance)
    }

    @Test("stored with the payload typed as Curator types it, and read back untyped")
    func curatorTyping() throws {
        func stored(_ payload: JSONValue) -> String {
            ServiceInstance(name: "a", id: "b", address: nil, port: nil, sslPort: nil, payload: payload, registrationTimeUTC: 0)
                .storedJSON.objectValue!["payload"]!.jsonText
        }
        let map = JSONValue.object(JSONObject([("zone", .string("eu")), ("nested", .object(JSONObject([("x", .null)])))]))
        #expect(stored(map) == #"{"@class":"java.util.LinkedHashMap","zone":"eu","nested":{"x":null}}"#)
        #expect(stored(.array([JSONValue(1), JSONValue(2)])) == #"["java.util.ArrayList",[1,2]]"#)
        #expect(stored(.string("s")) == #""s""#)
        #expect(stored(.null) == "null")
        for payload in [map, .array([JSONValue(1)]), .string("s"), JSONValue(7), .null] {
            let instance = ServiceInstance(name: "a", id: "b", address: nil, port: nil, sslPort: nil, payload: payload,
                registrationTimeUTC: 0)
            #expect(ServiceInstance(data: instance.storedJSON.serialized())?.payload == payload)
        }
        // Curator's own bytes, as its default serializer writes them (no `enabled`).
        let curator = #"{"name":"web","id":"i1","address":"10.0.0.7","port":8080,"sslPort":null,"payload":{"@class":"java.util.LinkedHashMap","zone":"eu"},"registrationTimeUTC":1795257573549,"serviceType":"DYNAMIC","uriSpec":null}"#
        let read = try #require(ServiceInstance(data: Array(curator.utf8)))
        #expect(read.payload.jsonText == #"{"zone":"eu"}"#)
        #expect(read.enabled && read.port == 8080 && read.registrationTimeUTC == 1_795_257_573_549)
        // A class of the registrant's own is kept: it says what the payload is.
        let custom = #"{"name":"a","id":"b","payload":{"@class":"com.example.Details","k":1}}"#
        #expect(ServiceInstance(data: Array(custom.utf8))?.payload.objectValue?["@class"] != nil)
    }

    @Test("unknown fields are ignored and missing ones take Curator's defaults")
    func tolerant() throws {
        let read = try #require(ServiceInstance(data: Array(#"{"name":"a","id":"b","extra":[1],"uriSpec":{"parts":[]}}"#.utf8)))
        #expect(read.address == nil && read.port == nil && read.payload == .null)
        #expect(read.serviceType == "DYNAMIC" && read.enabled)
        #expect(read.uriSpec.objectValue != nil)
    }

    @Test("data that is not an instance reads as nil", arguments: ["", "[]", #"{"name":"a"}"#, #"{"id":"b"}"#, "{bad"])
    func notInstance(_ text: String) {
        #expect(ServiceInstance(data: Array(text.utf8)) == nil)
    }
    /// A registration at the request body's limits (JSONParser.Limits.default) reads back,
    /// though storing types its payload: one member more, one level deeper for an array.
    @Test func payloadsAtTheBodyLimitsReadBack() throws {
        let limits = JSONParser.Limits.default
        // The body {"payload": {...}} holds the payload's members, at most maxMembers.
        let wide = JSONValue.object(JSONObject((0..<limits.maxMembers).map { ("k\($0)", JSONValue($0)) }))
        // The body {"payload": [[...]]} nests the payload at most maxDepth - 1 deep.
        var deep = JSONValue.array([])
        for _ in 1..<(limits.maxDepth - 1) { deep = .array([deep]) }
        // The body {"payload": [0, ...]}: the body object, the array and its elements.
        let long = JSONValue.array(Array(repeating: JSONValue(0), count: limits.maxElements - 2))
        for payload in [wide, deep, long] {
            let body = JSONValue.object(JSONObject([("payload", payload)])).serialized()
            #expect(throws: Never.self) { try JSONParser.parse(body) }
            let instance = ServiceInstance(name: "a", id: "b", address: "10.0.0.7", port: 80, sslPort: 443, payload: payload,
                registrationTimeUTC: 0)
            #expect(ServiceInstance(data: instance.storedJSON.serialized())?.payload == payload)
        }
    }
}
