/// What the rules decided for one request.
public enum Decision: Equatable, Sendable {
    /// Allowed by `grants[grant]` of the policy: of the grants that allow it, the first.
    case allowed(grant: Int)
    /// No grant allows it (or the path is not normalized).
    case denied

    public var isAllowed: Bool { if case .allowed = self { true } else { false } }
}
