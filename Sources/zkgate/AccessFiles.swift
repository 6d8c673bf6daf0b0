import Authorization
import Credentials
import GatewayAPI
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The access policy's files (`--auth-policy`, `--auth-jwks`), read and checked together, so
/// that start-up and SIGHUP put both in force or neither.
struct AccessFiles {
    var policy: String
    var jwks: String?
    var issuer: String?
    var audience: String?

    /// Why the files cannot be used, naming the file and the field.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads and checks both files.
    ///
    /// - Throws: `Failure` naming the file and, for a document that parses, the field.
    func load() throws(Failure) -> AccessControl {
        let policy: Policy
        do {
            policy = try Policy(json: try Self.read(self.policy))
        } catch let error as PolicyError {
            throw Failure(description: "\(self.policy): \(error)")
        } catch {
            throw Failure(description: "\(self.policy): \(error)")
        }
        var keys: JWKS?
        if let jwks {
            do {
                keys = try JWKS(json: try Self.read(jwks))
            } catch let error as JWKSError {
                throw Failure(description: "\(jwks): \(error)")
            } catch {
                throw Failure(description: "\(jwks): \(error)")
            }
        }
        do {
            return try AccessControl(policy: policy, jwks: keys, issuer: issuer, audience: audience)
        } catch {
            throw Failure(description: "\(self.policy): \(error)")
        }
    }

    /// The whole file, at most 16 MiB.
    static func read(_ path: String) throws(Failure) -> [UInt8] {
        do {
            let fd = try syscallBlocking("open") { open(path, O_RDONLY | O_CLOEXEC) }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let n = try syscallBlocking("read") { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
                if n == 0 { return bytes }
                bytes += buffer[0..<n]
                if bytes.count > 16 << 20 { throw Failure(description: "larger than 16 MiB") }
            }
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "cannot read: \(error)")
        }
    }
}
