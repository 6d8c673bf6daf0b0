import Authorization
import Coordination
import Credentials
import HTTPCore
import HTTPServer
import JSON

/// A request's principal with its rules, or the 401 that refuses its credentials.
enum Authentication {
    case known(KnownPrincipal)
    case refused(HTTPResponse)
}

/// A request's principal as its connection remembers it, or the 401 that refuses its
/// credentials.
enum Authenticated {
    case principal(ConnectionPrincipal)
    case refused(HTTPResponse)
}

/// The principal a connection's last request was authenticated as, and the credentials that
/// named it (`RequestContext.connectionMemo`): a device's next request on the connection,
/// sending the same `Authorization` field (or none again), is that principal without a
/// hash, a lookup or a signature check. Updated in place when the credentials change (a
/// proxy's connection carries many clients' requests); a reload of the policy, or a JWT's
/// `exp`, makes it stale.
final class ConnectionPrincipal {
    var control: AccessControl
    /// The `Authorization` field's bytes; nil when none was sent.
    var credentials: [UInt8]?
    var known: KnownPrincipal
    /// Unix seconds after which it must be authenticated again: a JWT's `exp`.
    var validUntil: Int64
    /// The last path `known` was allowed on this connection, and for what: a device polling
    /// one node is decided once (`Gateway.allowsAtOnce`). Its bytes' storage is reused.
    var allowedPath: [UInt8] = []
    var allowedPermission: Permission?

    init(_ control: AccessControl, _ credentials: [UInt8]?, _ known: KnownPrincipal, validUntil: Int64) {
        self.control = control
        self.credentials = credentials
        self.known = known
        self.validUntil = validUntil
    }

    /// Now the principal `known` under `control`, for `credentials`: what was allowed before
    /// is forgotten.
    func update(_ control: AccessControl, _ credentials: UnsafeBufferPointer<UInt8>?, _ known: KnownPrincipal, validUntil: Int64) {
        self.control = control
        self.credentials = credentials.map { Array($0) }
        self.known = known
        self.validUntil = validUntil
        allowedPermission = nil
    }

    /// Whether `path` is the last path allowed here for `permission`.
    func allowed(_ permission: Permission, _ path: UnsafeBufferPointer<UInt8>) -> Bool {
        allowedPermission == permission && allowedPath.withUnsafeBytes { ConstantTime.equal($0, UnsafeRawBufferPointer(path)) }
    }

    func remember(allowed path: UnsafeBufferPointer<UInt8>, for permission: Permission) {
        allowedPath.removeAll(keepingCapacity: true)
        allowedPath.append(contentsOf: path)
        allowedPermission = permission
    }

    /// Whether `field` is the credentials remembered: compared in constant time, since a
    /// proxy's connection may carry another client's token.
    func matches(_ field: UnsafeBufferPointer<UInt8>?) -> Bool {
        switch (field, credentials) {
        case (nil, nil): true
        case (let field?, let credentials?): credentials.withUnsafeBytes { ConstantTime.equal(UnsafeRawBufferPointer(field), $0) }
        default: false
        }
    }
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
        -> Authenticated
    {
        guard var field = request.headers["Authorization"] else { return authenticate(nil, context, access, control) }
        // Over the field's own bytes: comparing, finding and hashing the token copies nothing.
        return field.withUTF8 { authenticate($0, context, access, control) }
    }

    private func authenticate(
        _ field: UnsafeBufferPointer<UInt8>?, _ context: RequestContext, _ access: LoopAccess, _ control: AccessControl
    ) -> Authenticated {
        let memo = context.connectionMemo as? ConnectionPrincipal
        if let memo, memo.control === control, memo.matches(field),
            memo.validUntil == .max || WallClock.milliseconds() / 1000 < memo.validUntil
        {
            return .principal(memo)
        }
        var validUntil = Int64.max
        let result: Authentication
        if let field {
            result = authenticate(authorization: field, access, control, validUntil: &validUntil)
        } else if let peer = context.peerIdentity, let name = peer.commonName {
            result = Self.principal(.cert, name, alternativeNames: peer.subjectAlternativeNames, access, control)
        } else {
            result = .known(access.known(.anonymous, in: control))
        }
        switch result {
        case .refused(let response):
            return .refused(response)
        case .known(let known):
            if let memo {
                memo.update(control, field, known, validUntil: validUntil)
                return .principal(memo)
            }
            // A resumed request has no connection to remember it on: this one is its own.
            let fresh = ConnectionPrincipal(control, field.map { Array($0) }, known, validUntil: validUntil)
            context.connectionMemo = fresh
            return .principal(fresh)
        }
    }

    /// The principal of an `Authorization` field, or the 401 that refuses it.
    private func authenticate(
        authorization field: UnsafeBufferPointer<UInt8>, _ access: LoopAccess, _ control: AccessControl, validUntil: inout Int64
    ) -> Authentication {
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
            validUntil = verified.expiresAt
            return Self.principal(.jwt, verified.subject, access, control)
        }
        // A token seen before on this loop skips its SHA-256 and the principal's lookup.
        let key = TokenKey(token)
        if let known = access.knownToken(key) { return .known(known) }
        guard let id = control.tokens.identify(token) else {
            return .refused(Self.unauthenticated("invalid-token", "The bearer token is not known.", invalid: true))
        }
        let authenticated = Self.principal(.token, id, access, control)
        if case .known(let known) = authenticated { access.remember(key, known) }
        return authenticated
    }

    private static func principal(
        _ kind: Principal.Kind, _ name: String, alternativeNames: [String] = [], _ access: LoopAccess, _ control: AccessControl
    ) -> Authentication {
        do {
            let principal = try Principal(kind: kind, name: name, alternativeNames: kind == .cert ? alternativeNames : [])
            return .known(access.known(principal, in: control))
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
