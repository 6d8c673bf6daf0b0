extension Policy {
    /// Why `principal` may or may not do `permission` on `path`, for people: the grant that
    /// allows it and the pattern that matched, or that none does. Builds the principal's rules
    /// anew: for tools and logs, not for every request.
    ///
    ///     allowed: grants[2].paths[0] "/devices/{name}/**" of {"who":["cert:*"],...} allows write on /devices/dev1/a for cert:dev1
    ///     denied: no grant allows write on /config/x for cert:dev1
    public func explain(who principal: Principal, permission: Permission, path: String) -> String {
        let request = "\(permission) on \(Bytewise.shown(path)) for \(principal)"
        switch rules(for: principal).decide(permission, path: path) {
        case .allowed(let g):
            let grant = grants[g]
            var by = "grants[\(g)]"
            if let k = grant.paths.firstIndex(where: { $0.matches(path, for: principal) }) {
                by += ".paths[\(k)] " + Bytewise.quoted(grant.paths[k].text) + " of"
            }
            let implied = grant.allow.contains(permission) ? "" : " (admin implies \(permission))"
            return "allowed: \(by) \(grant) allows \(request)\(implied)"
        case .denied:
            guard NormalizedPath.isNormalized(path) else {
                return "denied: \(request): not a normalized znode path (absolute; no empty, \".\" or \"..\" segment; no trailing \"/\")"
            }
            return "denied: no grant allows \(request)"
        }
    }
}
