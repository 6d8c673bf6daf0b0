import Authorization
import Coordination
import Credentials
import HTTPCore
import HTTPServer
import JSON

/// A request's principal, or the 401 that refuses its credentials.
enum Authentication {
    case principal(Principal)
    /// A principal seen before on this loop, with its compiled rules.
    case known(KnownPrincipal)
    case refused(HTTPResponse)
}

extension Gateway {
    /// Who a request is from, under a policy. An `Authorization: Bearer` field names the
    /// principal (`jwt:<sub>` for a token the JWKS verifies, `token:<id>` for one whose
    /// SHA-256 the policy lists) and must be valid; without one, a verified client certificate
    /// names it (`cert:<CN>`, its subjectAltNames beside); without either, `anonymous`.
    /// Nothing else a client sends (User-Agent, X-Forwarded-For, Host) is ever an identity.
    ///
    /// - Returns: the principal, or the 401 to answer: credentials that are malformed,
    ///   unknown, expired or badly signed, and names unsafe inside a path (empty, `/`, `*`,
    ///   `..`, controls) before any rule substitutes them.
    func authenticate(_ request: HTTPRequest, _ context: RequestContext, _ access: LoopAccess, _ control: AccessControl)
        -> Authentication
    {
        if var field = request.headers["Authorization"] {
            // Over the field's own bytes: finding and hashing the token copies nothing.
            return field.withUTF8 { authenticate(authorization: $0, access, control) }
        }
        if let peer = context.peerIdentity, let name = peer.commonName {
            return Self.principal(.cert, name, alternativeNames: peer.subjectAlternativeNames)
        }
        return .principal(.anonymous)
    }

    /// The principal of an `Authorization` field, or the 401 that refuses it.
    private func authenticate(authorization field: UnsafeBufferPointer<UInt8>, _ access: LoopAccess, _ control: AccessControl)
        -> Authentication
    {
        guard let token = Self.bearerToken(field) else {
            return .refused(Self.unauthenticated("invalid-credentials",
                "Send credentials as Authorization: Bearer <token>; other schemes are not accepted.", invalid: true))
        }
        if let verifier = control.jwt, Self.looksLikeJWT(token) {
            let verified: VerifiedToken
            do {
                verified = try access.jwtCache.verify(token, with: verifier, now: WallClock.milliseconds() / 1000)
            } catch {
                return .refused(Self.unauthenticated("invalid-token", "The JWT is not accepted: \(error).", invalid: true))
            }
            return Self.principal(.jwt, verified.subject)
        }
        // A token seen before on this loop skips its SHA-256 and the principal's lookup.
        let key = TokenKey(token)
        if let known = access.knownToken(key) { return .known(known) }
        guard let id = control.tokens.identify(token) else {
            return .refused(Self.unauthenticated("invalid-token", "The bearer token is not known.", invalid: true))
        }
        let authenticated = Self.principal(.token, id)
        if case .principal(let principal) = authenticated {
            let known = access.known(principal, in: control)
            access.remember(key, known)
            return .known(known)
        }
        return authenticated
    }

    private static func principal(_ kind: Principal.Kind, _ name: String, alternativeNames: [String] = [])
        -> Authentication
    {
        do {
            return .principal(try Principal(kind: kind, name: name, alternativeNames: kind == .cert ? alternativeNames : []))
        } catch {
            return .refused(unauthenticated("unsafe-identity",
                "The \(kind.rawValue) identity cannot be used: \(error). Names may not be empty, '.' or '..', "
                    + "or contain '/', '*', '{', '}' or control characters.", invalid: true))
        }
    }

    /// The token of `Bearer <token>` (the scheme in any case, RFC 9110 §11.1), or nil: the
    /// bytes of `field` after the scheme and the spaces that follow it.
    static func bearerToken(_ field: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        guard field.count > 7, field[6] == UInt8(ascii: " "),
            ("bearer" as StaticString).withUTF8Buffer({ scheme in scheme.indices.allSatisfy { field[$0] | 0x20 == scheme[$0] } })
        else { return nil }
        var start = 7
        while start < field.count, field[start] == UInt8(ascii: " ") { start += 1 }
        let token = UnsafeBufferPointer(rebasing: field[start...])
        guard !token.isEmpty, !token.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else { return nil }
        return token
    }

    /// Three base64url parts: a JWT, not an opaque token.
    static func looksLikeJWT(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        token.reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) } == 2
    }

    /// 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3: `error="invalid_token"` when
    /// credentials were sent and refused).
    static func unauthenticated(_ type: String, _ detail: String, invalid: Bool) -> HTTPResponse {
        .problem(.unauthorized, type: type, detail: detail,
            headers: ["WWW-Authenticate": invalid ? #"Bearer realm="zkgate", error="invalid_token""# : #"Bearer realm="zkgate""#])
    }
}
