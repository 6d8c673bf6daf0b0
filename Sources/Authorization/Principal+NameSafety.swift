extension Principal {
    /// Why `name` is unsafe as a principal's name, or nil when it is safe.
    ///
    /// A name becomes part of a znode path wherever a pattern says `{name}`: a `/` would add
    /// segments (`cert:a/b` reaching `/devices/a/b`), `.` and `..` would name a parent, `*`,
    /// `{` and `}` would read as pattern syntax, and control characters are no part of a
    /// ZooKeeper path. Mosquitto's CVE-2017-7650 was a `+`/`#` in a client id substituted into
    /// an ACL pattern; here such names never reach a pattern.
    static func nameProblem(_ name: String) -> PrincipalError.Reason? {
        if name.isEmpty { return .emptyName }
        if Bytewise.equal(name, ".") || Bytewise.equal(name, "..") { return .dotName }
        for scalar in name.unicodeScalars where isForbidden(scalar) {
            return .forbiddenCharacter(scalar)
        }
        return nil
    }

    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "/", "*", "{", "}": true
        default: Bytewise.isControl(scalar)
        }
    }
}
