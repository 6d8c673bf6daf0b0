import JSON

/// A registered service instance, as Curator ServiceDiscovery stores it: one JSON object per
/// instance node, with Curator's field names, so either side can read the other's.
public struct ServiceInstance: Equatable, Sendable {
    public var name: String
    public var id: String
    public var address: String?
    public var port: Int64?
    public var sslPort: Int64?
    /// Any JSON value.
    public var payload: JSONValue
    /// When it was registered (ms since the epoch).
    public var registrationTimeUTC: Int64
    /// `DYNAMIC` (ephemeral, bound to a session), `STATIC` or `PERMANENT`.
    public var serviceType: String
    /// Curator's URI template, passed through.
    public var uriSpec: JSONValue
    public var enabled: Bool

    public init(
        name: String, id: String, address: String?, port: Int64?, sslPort: Int64?, payload: JSONValue,
        registrationTimeUTC: Int64, serviceType: String = "DYNAMIC", uriSpec: JSONValue = .null, enabled: Bool = true
    ) {
        self.name = name
        self.id = id
        self.address = address
        self.port = port
        self.sslPort = sslPort
        self.payload = payload
        self.registrationTimeUTC = registrationTimeUTC
        self.serviceType = serviceType
        self.uriSpec = uriSpec
        self.enabled = enabled
    }

    /// The JSON object as the API shows it, in Curator's field order.
    public var json: JSONValue { object(payload: payload) }

    /// The JSON object as stored, readable by Curator: its serializer types the payload (an
    /// object carries `@class`, an array is wrapped as `[class, items]`), and without that an
    /// array payload would make Curator's whole listing of the service fail.
    public var storedJSON: JSONValue {
        switch payload {
        case .object(let members) where members["@class"] == nil:
            return object(payload: .object(JSONObject([("@class", .string(Self.mapClass))] + members.members.map { ($0.name, $0.value) })))
        case .array(let items):
            return object(payload: .array([.string(Self.listClass), .array(items)]))
        default:
            return object(payload: payload)
        }
    }

    /// Stored instances are read under limits a little above a request body's (the defaults):
    /// the stored JSON types the registered payload (`@class` in an object, `[class, items]`
    /// around an array) and adds Curator's fields, so every registration accepted reads back.
    static let readLimits: JSONParser.Limits = {
        var limits = JSONParser.Limits.default
        limits.maxDepth += 1
        limits.maxMembers += 1
        limits.maxElements += 64
        return limits
    }()

    static let mapClass = "java.util.LinkedHashMap"
    static let listClass = "java.util.ArrayList"

    private func object(payload: JSONValue) -> JSONValue {
        .object(JSONObject([
            ("name", .string(name)),
            ("id", .string(id)),
            ("address", address.map(JSONValue.string) ?? .null),
            ("port", port.map(JSONValue.init) ?? .null),
            ("sslPort", sslPort.map(JSONValue.init) ?? .null),
            ("payload", payload),
            ("registrationTimeUTC", JSONValue(registrationTimeUTC)),
            ("serviceType", .string(serviceType)),
            ("uriSpec", uriSpec),
            ("enabled", .bool(enabled)),
        ]))
    }

    /// Reads an instance node's data. Unknown fields are ignored and missing ones take
    /// Curator's defaults, as Curator's own reader does; the type Curator gives a map or list
    /// payload is removed (other classes are kept, since they say what the payload is).
    ///
    /// - Returns: nil when the data is not a JSON object with string `name` and `id`.
    public init?(data: [UInt8]) {
        guard let object = (try? JSONParser.parse(data, limits: Self.readLimits))?.objectValue,
            let name = object["name"]?.stringValue, let id = object["id"]?.stringValue
        else { return nil }
        self.init(
            name: name, id: id, address: object["address"]?.stringValue, port: object["port"]?.int64Value,
            sslPort: object["sslPort"]?.int64Value, payload: Self.untyped(object["payload"] ?? .null),
            registrationTimeUTC: object["registrationTimeUTC"]?.int64Value ?? 0,
            serviceType: object["serviceType"]?.stringValue ?? "DYNAMIC", uriSpec: object["uriSpec"] ?? .null,
            enabled: object["enabled"]?.boolValue ?? true)
    }

    private static func untyped(_ payload: JSONValue) -> JSONValue {
        switch payload {
        case .object(let members):
            guard let type = members["@class"]?.stringValue, type == mapClass || type == "java.util.HashMap" else { return payload }
            return .object(JSONObject(members.members.filter { $0.name != "@class" }.map { ($0.name, $0.value) }))
        case .array(let items):
            guard items.count == 2, let type = items[0].stringValue, type == listClass, case .array(let list) = items[1] else {
                return payload
            }
            return .array(list)
        default:
            return payload
        }
    }
}
