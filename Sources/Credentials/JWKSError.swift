/// Why a JWKS document cannot be used, naming the member at fault (`keys[1].n`).
public struct JWKSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path of the member: `keys`, `keys[1]`, `keys[1].n`; empty when the document is
    /// not JSON at all.
    public let field: String
    public let reason: String

    init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}
