import ArgumentParser
import TLS
import ZooKeeperBackend
import ZooKeeperClient

#if canImport(Glibc)
import Glibc
#endif

/// How zkgate meets the ensemble: TLS, its credentials, and the ACLs of what it creates.
struct ZooKeeperSecurity {
    var tls: TLSClientContext?
    var auths: [AuthPacket]
    var acls: ZooKeeperACLs

    /// Whether the ensemble knows zkgate as someone: a client certificate (x509) or
    /// credentials. Without it, `auth::` entries grant nothing and the default ACL is open.
    var hasIdentity: Bool { tls?.configuration.certificateChainPath != nil || !auths.isEmpty }
}

/// Why the ensemble options cannot be used, naming the option and the file or entry.
struct ZooKeeperSecurityError: Error, CustomStringConvertible {
    var description: String
}

extension Serve {
    /// The --zookeeper-tls-*, --zookeeper-auth-file and --zookeeper-*acl options make sense
    /// together, and their files load: checked before anything listens.
    func validateZooKeeperSecurity() throws {
        let tlsGiven = zookeeperTlsCa != nil || zookeeperTlsCert != nil || zookeeperTlsKey != nil
        let anyGiven = tlsGiven || zookeeperAuthFile != nil || !zookeeperAcl.isEmpty || !zookeeperInternalAcl.isEmpty
        if !zookeeperTlsVerifyHostname && zookeeperTlsCa == nil {
            throw ValidationError("--no-zookeeper-tls-verify-hostname needs --zookeeper-tls-ca.")
        }
        guard anyGiven else { return }
        guard zookeeper != nil else {
            throw ValidationError("--zookeeper-tls-*, --zookeeper-auth-file and --zookeeper-acl need --zookeeper.")
        }
        if tlsGiven && zookeeperTlsCa == nil {
            throw ValidationError("--zookeeper-tls-cert and --zookeeper-tls-key need --zookeeper-tls-ca: a member's certificate is always verified.")
        }
        if (zookeeperTlsCert == nil) != (zookeeperTlsKey == nil) {
            throw ValidationError("--zookeeper-tls-cert and --zookeeper-tls-key go together.")
        }
        // Loaded here too, so that a missing file, an expired certificate or a bad entry stops
        // start-up before anything listens.
        do { _ = try zookeeperSecurity() } catch { throw ValidationError("\(error)") }
    }

    /// The TLS context, credentials and ACLs the options name.
    ///
    /// - Throws: `ZooKeeperSecurityError` naming the file or entry at fault.
    func zookeeperSecurity() throws(ZooKeeperSecurityError) -> ZooKeeperSecurity {
        var security = ZooKeeperSecurity(tls: nil, auths: [], acls: .open)
        if let ca = zookeeperTlsCa {
            do {
                security.tls = try TLSClientContext(TLSClientConfiguration(
                    caPath: ca, certificateChainPath: zookeeperTlsCert, privateKeyPath: zookeeperTlsKey,
                    verifiesHostName: zookeeperTlsVerifyHostname))
            } catch {
                throw ZooKeeperSecurityError(description: "--zookeeper-tls-*: \(error)")
            }
        }
        if let zookeeperAuthFile { security.auths = try Self.readAuthFile(zookeeperAuthFile) }
        let identified = security.hasIdentity
        var acls = identified ? ZooKeeperACLs.creatorOwned : .open
        if !zookeeperAcl.isEmpty { acls.ordinary = try Self.parse(zookeeperAcl, option: "--zookeeper-acl", identified: identified) }
        if !zookeeperInternalAcl.isEmpty {
            acls.internal = try Self.parse(zookeeperInternalAcl, option: "--zookeeper-internal-acl", identified: identified)
        }
        security.acls = acls
        return security
    }

    static func parse(_ entries: [String], option: String, identified: Bool) throws(ZooKeeperSecurityError) -> [ACL] {
        var list: [ACL] = []
        for entry in entries {
            let acl: ACL
            do { acl = try ACL(parsing: entry) } catch { throw ZooKeeperSecurityError(description: "\(option): \(error)") }
            if acl.id.scheme == "auth" && !identified {
                throw ZooKeeperSecurityError(description: "\(option) \(entry): auth:: grants the creator's identities, and zkgate has none (give it --zookeeper-tls-cert or --zookeeper-auth-file)")
            }
            list.append(acl)
        }
        return list
    }

    /// One `scheme:credentials` per line; blank lines and lines starting with # are skipped.
    /// The credentials never appear in a message: a bad line is named by its number.
    static func readAuthFile(_ path: String) throws(ZooKeeperSecurityError) -> [AuthPacket] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ZooKeeperSecurityError(description: "--zookeeper-auth-file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IROTH == 0 else {
            throw ZooKeeperSecurityError(description: "--zookeeper-auth-file \(path) is readable by every user: it holds credentials (chmod o-r \(path))")
        }
        guard let file = fopen(path, "r") else {
            throw ZooKeeperSecurityError(description: "--zookeeper-auth-file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
            guard bytes.count <= 1 << 20 else { throw ZooKeeperSecurityError(description: "--zookeeper-auth-file \(path) is over 1 MiB") }
        }
        var packets: [AuthPacket] = []
        for (number, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingTrailingCarriageReturn
            if text.allSatisfy({ $0 == " " || $0 == "\t" }) || text.hasPrefix("#") { continue }
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
                throw ZooKeeperSecurityError(description: "--zookeeper-auth-file \(path), line \(number + 1): not scheme:credentials")
            }
            let scheme = String(text[..<colon])
            guard scheme.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw ZooKeeperSecurityError(description: "--zookeeper-auth-file \(path), line \(number + 1): the scheme must be a word such as digest")
            }
            packets.append(AuthPacket(scheme: scheme, auth: Array(text[text.index(after: colon)...].utf8)))
        }
        guard !packets.isEmpty else { throw ZooKeeperSecurityError(description: "--zookeeper-auth-file \(path) holds no credentials") }
        return packets
    }
}

extension Substring {
    /// The line without the carriage return a file written on another system may end it with.
    var trimmingTrailingCarriageReturn: Substring { last == "\r" ? dropLast() : self }
}
