import JSON

/// One of a policy's `grants`: every principal that `who` matches may do what `allow` says on
/// every path that `paths` matches.
public struct Grant: Equatable, Sendable, CustomStringConvertible {
    public let who: [Grantee]
    public let allow: [Permission]
    public let paths: [PathPattern]

    public func applies(to principal: Principal) -> Bool {
        who.contains { $0.matches(principal) }
    }

    /// The grant as compact JSON, as a policy would write it, for explanations.
    public var description: String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("who")
        writer.beginArray()
        for grantee in who { writer.string(grantee.description) }
        writer.endArray()
        writer.key("allow")
        writer.beginArray()
        for permission in allow { writer.string(permission.rawValue) }
        writer.endArray()
        writer.key("paths")
        writer.beginArray()
        for pattern in paths { writer.string(pattern.text) }
        writer.endArray()
        writer.endObject()
        return writer.string
    }
}
