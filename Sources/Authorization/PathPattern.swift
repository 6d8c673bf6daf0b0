/// One of a grant's `paths`: a znode path in which `{name}` stands for the principal's name
/// (alone or inside a segment: `/devices/dev-{name}`), `*` for any one whole segment, and a
/// final `/**` for the node itself and everything below it (`/**` alone: every node).
public struct PathPattern: Equatable, Sendable, CustomStringConvertible {
    enum Segment: Sendable {
        case literal([UInt8])
        case wildcard
        /// The pieces between occurrences of `{name}`: `dev-{name}` is `["dev-", ""]`.
        case template([[UInt8]])
    }

    /// A segment once the principal's name is in place.
    enum Step: Sendable {
        case literal([UInt8])
        case wildcard
    }

    /// The pattern as the policy wrote it.
    public let text: String
    /// The segments before a final `/**`.
    let segments: [Segment]
    /// Whether the pattern ends in `/**`.
    public let coversSubtree: Bool

    /// Deepest pattern accepted: the compiled rules are searched recursively, one level per
    /// segment, and no znode tree is this deep.
    static let maxSegments = 256

    /// Whether the pattern says `{name}`, and so matches nothing for `anonymous`.
    public var usesName: Bool {
        segments.contains { if case .template = $0 { true } else { false } }
    }

    public var description: String { text }

    public static func == (lhs: PathPattern, rhs: PathPattern) -> Bool { Bytewise.equal(lhs.text, rhs.text) }

    /// The segments with `principal`'s name in place of `{name}`; nil when the pattern uses
    /// `{name}` and the principal has none.
    func steps(for principal: Principal) -> [Step]? {
        let name = Array(principal.name.utf8)
        var steps: [Step] = []
        steps.reserveCapacity(segments.count)
        for segment in segments {
            switch segment {
            case .literal(let bytes): steps.append(.literal(bytes))
            case .wildcard: steps.append(.wildcard)
            case .template(let pieces):
                guard principal.kind != .anonymous else { return nil }
                steps.append(.literal(Array(pieces.joined(separator: name))))
            }
        }
        return steps
    }

    /// Whether this pattern alone matches `path` for `principal`: a linear walk (a `*` matches
    /// one segment, so there is nothing to backtrack), for explanations, not for deciding.
    func matches(_ path: String, for principal: Principal) -> Bool {
        guard let steps = steps(for: principal), let names = NormalizedPath.segments(of: path) else { return false }
        guard coversSubtree ? names.count >= steps.count : names.count == steps.count else { return false }
        return zip(steps, names).allSatisfy { step, name in
            if case .literal(let bytes) = step { bytes == name } else { true }
        }
    }
}
