import JSON

extension JWTVerifier {
    /// The verified token from its (signature-checked) claims.
    func check(_ claims: JSONObject, algorithm: JWTAlgorithm, keyID: String?, now: Int64) throws(JWTError) -> VerifiedToken {
        guard let subject = claims["sub"]?.stringValue, !subject.isEmpty else { throw .missingSubject }
        guard let expiry = claims["exp"] else { throw .missingExpiration }
        let expiresAt = try Self.seconds(expiry, claim: "exp")
        // Valid while now < exp (RFC 7519 §4.1.4) and from nbf on (§4.1.5), each widened by
        // the leeway; the additions saturate, as a hostile claim may sit at Int64's edge.
        guard now < Self.adding(leewaySeconds, to: expiresAt) else { throw .expired }
        var notBefore: Int64?
        if let value = claims["nbf"] {
            let start = try Self.seconds(value, claim: "nbf")
            guard Self.adding(leewaySeconds, to: now) >= start else { throw .notYetValid }
            notBefore = start
        }
        var tokenIssuer: String?
        if let value = claims["iss"] {
            guard let string = value.stringValue else { throw .malformed("iss is not a string") }
            tokenIssuer = string
        }
        if let issuer, tokenIssuer != issuer { throw .wrongIssuer }
        let audiences = try Self.audiences(claims["aud"])
        if let audience, !audiences.contains(audience) { throw .wrongAudience }
        return VerifiedToken(
            subject: subject, expiresAt: expiresAt, notBefore: notBefore, issuer: tokenIssuer, audience: audiences,
            algorithm: algorithm, keyID: keyID)
    }

    /// `time + leeway` (the leeway is not negative), Int64.max past the end.
    static func adding(_ leeway: Int64, to time: Int64) -> Int64 {
        let (sum, overflow) = time.addingReportingOverflow(leeway)
        return overflow ? .max : sum
    }

    /// A NumericDate (RFC 7519 §2) in whole seconds, rounded up: against a clock counting
    /// whole seconds, `now < exp` and `now >= nbf` are then exact.
    static func seconds(_ value: JSONValue, claim: String) throws(JWTError) -> Int64 {
        if let whole = value.int64Value { return whole }
        // Beyond 2^53 a Double no longer holds every integer; no real date is near that.
        guard let number = value.doubleValue, number.isFinite, abs(number) < 9_007_199_254_740_992 else {
            throw .malformed("\(claim) is not a number of seconds")
        }
        return Int64(number.rounded(.up))
    }

    /// `aud` as a list: a string alone or an array of strings (RFC 7519 §4.1.3).
    static func audiences(_ value: JSONValue?) throws(JWTError) -> [String] {
        guard let value else { return [] }
        if let single = value.stringValue { return [single] }
        guard let array = value.arrayValue else { throw .malformed("aud is not a string or an array of strings") }
        var audiences: [String] = []
        audiences.reserveCapacity(array.count)
        for element in array {
            guard let string = element.stringValue else { throw .malformed("aud is not a string or an array of strings") }
            audiences.append(string)
        }
        return audiences
    }
}
