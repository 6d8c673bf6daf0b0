extension PathPattern {
    /// The pattern written as `text`.
    ///
    /// - Throws: the reason, for `PolicyError`: a path that is not absolute and normalized
    ///   (an empty segment, a `.` or `..` segment, a trailing `/`); `**` anywhere but as the
    ///   last segment; `*` with other characters in a segment; `{` or `}` other than in
    ///   `{name}`; a control character; more than `maxSegments` segments.
    init(parsing text: String) throws(PolicyProblem) {
        let bytes = Array(text.utf8)
        guard bytes.first == slash else { throw PolicyProblem("a path must start with \"/\"") }
        self.text = text
        guard bytes.count > 1 else {
            segments = []
            coversSubtree = false
            return
        }
        guard bytes.last != slash else { throw PolicyProblem("a path must not end with \"/\"") }
        let parts = bytes.dropFirst().split(separator: slash, omittingEmptySubsequences: false)
        guard parts.count <= Self.maxSegments else { throw PolicyProblem("more than \(Self.maxSegments) segments") }
        var segments: [Segment] = []
        var coversSubtree = false
        for (i, part) in parts.enumerated() {
            let shown = Bytewise.quoted(String(decoding: part, as: UTF8.self))
            if part.isEmpty { throw PolicyProblem("an empty segment (\"//\")") }
            if part.elementsEqual([dot]) || part.elementsEqual([dot, dot]) {
                throw PolicyProblem("\".\" and \"..\" segments are not allowed")
            }
            if String(decoding: part, as: UTF8.self).unicodeScalars.contains(where: Bytewise.isControl) {
                throw PolicyProblem("a control character in segment \(shown)")
            }
            if part.elementsEqual([star, star]) {
                guard i == parts.count - 1 else { throw PolicyProblem("\"**\" may only end a path") }
                coversSubtree = true
            } else if part.contains(star) {
                guard part.elementsEqual([star]) else {
                    throw PolicyProblem("\"*\" must be a whole segment, not part of \(shown)")
                }
                segments.append(.wildcard)
            } else {
                let pieces = Self.pieces(Array(part))
                guard pieces.allSatisfy({ !$0.contains(openBrace) && !$0.contains(closeBrace) }) else {
                    throw PolicyProblem("\"{\" and \"}\" only as \"{name}\", not as in \(shown)")
                }
                segments.append(pieces.count == 1 ? .literal(pieces[0]) : .template(pieces))
            }
        }
        self.segments = segments
        self.coversSubtree = coversSubtree
    }

    /// `segment` split around each `{name}`: one piece when there is none.
    static func pieces(_ segment: [UInt8]) -> [[UInt8]] {
        let placeholder = Array("{name}".utf8)
        var pieces: [[UInt8]] = []
        var start = 0
        var i = 0
        while i + placeholder.count <= segment.count {
            if segment[i..<(i + placeholder.count)].elementsEqual(placeholder) {
                pieces.append(Array(segment[start..<i]))
                i += placeholder.count
                start = i
            } else {
                i += 1
            }
        }
        pieces.append(Array(segment[start...]))
        return pieces
    }
}

let slash = UInt8(ascii: "/")
private let dot = UInt8(ascii: ".")
private let star = UInt8(ascii: "*")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
