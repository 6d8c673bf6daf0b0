import ArgumentParser
import Authorization
import Credentials

#if canImport(Glibc)
import Glibc
#endif

/// `zkgate auth`: tools for writing and checking an access policy.
struct Auth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tools for access policies: hash a token, explain a decision.",
        subcommands: [HashToken.self, Explain.self])

    /// `zkgate auth hash-token`: the SHA-256 a policy's `tokens` entry stores.
    struct HashToken: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-token",
            abstract: "Print the hex SHA-256 of a bearer token read from standard input (one trailing newline is not part of it).",
            discussion: "Read from standard input, never from the command line, so the token stays out of shell history and process lists.")

        func run() throws {
            var token: [UInt8] = []
            while let line = readLine(strippingNewline: false) { token += Array(line.utf8) }
            if token.last == UInt8(ascii: "\n") { token.removeLast() }
            if token.last == UInt8(ascii: "\r") { token.removeLast() }
            guard !token.isEmpty else { throw ValidationError("standard input holds no token") }
            guard isBearerSafe(token) else {
                throw ValidationError("a bearer token is visible ASCII without spaces (RFC 6750 b64token); this one is not")
            }
            print(Hex.encode(SHA256.digest(token)))
        }
    }

    /// `zkgate auth explain`: what a policy decides for one request, and why.
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain whether a policy allows an operation on a path, and which grant decides.")

        @Option(help: "The policy file (as --auth-policy).")
        var policy: String

        @Option(help: "The principal: cert:<CN>, token:<id>, jwt:<sub> or anonymous.")
        var who: String

        @Option(help: "Alternative names of a cert principal's certificate (repeatable).")
        var san: [String] = []

        @Option(help: "read, write, lock, elect, register or admin.")
        var op: String

        @Option(help: "The znode path, as the gateway decides on it (/locks/printers/3 for lock printers/3).")
        var path: String

        @Flag(help: "Decide for the path and everything below it, as a recursive delete is decided (only a grant ending in /** allows it).")
        var subtree = false

        func run() throws {
            guard let permission = Permission(rawValue: op) else {
                throw ValidationError("--op must be one of \(Permission.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var principal: Principal
            do {
                principal = try Principal(who)
                if !san.isEmpty { principal = try Principal(kind: principal.kind, name: principal.name, alternativeNames: san) }
            } catch {
                throw ValidationError("--who: \(error)")
            }
            let control: Policy
            do {
                control = try Policy(json: try AccessFiles.read(policy))
            } catch {
                throw ValidationError("\(policy): \(error)")
            }
            if subtree {
                let decision = control.rules(for: principal).decideSubtree(permission, path: path)
                if case .allowed(let grant) = decision {
                    print("allowed: grants[\(grant)] \(control.grants[grant]) allows \(permission.rawValue) on \(path) and everything below it for \(principal)")
                } else {
                    print("denied: no grant ending in /** allows \(permission.rawValue) on \(path) and everything below it for \(principal)")
                    throw ExitCode(1)
                }
                return
            }
            let explanation = control.explain(who: principal, permission: permission, path: path)
            print(explanation)
            if !explanation.hasPrefix("allowed") { throw ExitCode(1) }
            if path.hasPrefix("/zkgate") || path.hasPrefix("/zookeeper") {
                print("note: nodes under /zkgate and /zookeeper are read by administrators only, and written by no one through the API")
            }
        }
    }
}

/// Visible ASCII, no spaces: what `Authorization: Bearer` can carry.
private func isBearerSafe(_ token: [UInt8]) -> Bool {
    token.allSatisfy { $0 > 0x20 && $0 < 0x7F }
}
