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
}
