/// A request method token. Common methods are static values, so parsing them allocates nothing.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let get = HTTPMethod(rawValue: "GET")
    public static let head = HTTPMethod(rawValue: "HEAD")
    public static let post = HTTPMethod(rawValue: "POST")
    public static let put = HTTPMethod(rawValue: "PUT")
    public static let delete = HTTPMethod(rawValue: "DELETE")
    public static let options = HTTPMethod(rawValue: "OPTIONS")
    public static let patch = HTTPMethod(rawValue: "PATCH")

    public var description: String { rawValue }

    /// Maps a token to a method, reusing the static values for the common ones.
    init(token: UnsafeRawBufferPointer) {
        if bytesEqual(token, "GET") {
            self = .get
        } else if bytesEqual(token, "PUT") {
            self = .put
        } else if bytesEqual(token, "POST") {
            self = .post
        } else if bytesEqual(token, "HEAD") {
            self = .head
        } else if bytesEqual(token, "DELETE") {
            self = .delete
        } else if bytesEqual(token, "OPTIONS") {
            self = .options
        } else if bytesEqual(token, "PATCH") {
            self = .patch
        } else {
            self.init(rawValue: makeString(token))
        }
    }
}

/// The protocol version of a request.
public struct HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public static let http2 = HTTPVersion(major: 2, minor: 0)
    public var description: String { "HTTP/\(major).\(minor)" }
}
