/// Why a policy document was refused, naming the field: `grants[2].paths[0]: "**" may only
/// end a path`, `tokens[0].sha256: expected 64 hex digits`.
public struct PolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where, as a path of member names and indexes from the top: `grants[2].paths[0]`,
    /// `tokens[0].sha256`, `grants[1].allows` (an unknown member); empty for the document.
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { (field.isEmpty ? "policy" : field) + ": " + reason }
}

/// A reason without its field, thrown by the readers of one value and given its field by the
/// caller, which knows where the value was.
struct PolicyProblem: Error {
    let reason: String

    init(_ reason: String) { self.reason = reason }
}
