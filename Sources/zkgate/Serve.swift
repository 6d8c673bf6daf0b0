import ArgumentParser
import CZKShims
import EmbeddedBackend
import ZooKeeperBackend
import ZooKeeperClient
import Coordination
import Dispatch
import Synchronization
import GatewayAPI
import HTTPCore
import HTTPServer
import Logging
import Reactor
import TLS
import Recipes

/// `zkgate serve`: runs the gateway until SIGTERM or SIGINT, then shuts down gracefully.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the HTTP API (the default command).")

    @Option(help: "Address to listen on for plain HTTP: host:port or [v6]:port; port 0 picks a free one; 'none' to serve only on --tls-listen.")
    var listen = "127.0.0.1:8080"

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int?

    @Option(help: "Access log: '-' for standard output, 'off', or a file path.")
    var accessLog = "-"

    @Option(help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout: Double = 60

    @Option(help: "Seconds a request head may take to arrive (408 after).")
    var headerTimeout: Double = 10

    @Option(help: "Seconds a request body may take to arrive after its head (408 after).")
    var bodyTimeout: Double = 30

    @Option(help: "Seconds a client may leave our answer unread before it is dropped.")
    var writeTimeout: Double = 60

    @Option(help: "Seconds a graceful shutdown waits for requests in flight.")
    var shutdownTimeout: Double = 10

    @Option(help: "Largest request body in bytes (413 above).")
    var maxBody = 1 << 20

    @Option(help: "Longest request line in bytes (414 above).")
    var maxRequestLine = 8192

    @Option(help: "Largest request header section in bytes (431 above).")
    var maxHeaderBytes = 16384

    @Option(help: "Folder of the embedded store (its log, snapshots and lock).")
    var dataDir = "./zkgate-data"

    @Option(help: "Size quota of the embedded store in bytes (node paths, data and stats, sessions): writes that would grow it past this get 507 quota-exceeded, while reads, deletes and shrinking writes still work. 0: no quota.")
    var quotaBytes = 2 << 30

    @Option(help: "The embedded store writes a snapshot (and deletes the log before it) once the log since the last one holds this many bytes, or twice the live data if less (but at least 4 MiB, and never less than the live data).")
    var snapshotBytes = 64 << 20

    @Option(help: "Serve from a ZooKeeper ensemble instead of the embedded store: host:port[,host:port...][/chroot].")
    var zookeeper: String?

    @Option(help: "The gateway's own ZooKeeper session timeout in milliseconds (the ensemble clamps it).")
    var zookeeperSessionTimeout: Int32 = 10_000

    @Option(help: "On SIGTERM or SIGINT, seconds during which /readyz fails while everything else still serves, before the listeners close: at least a load balancer's health-check interval, so that it routes new requests elsewhere first. A second signal cuts it short.")
    var drainSeconds: Double = 0

    @Flag(inversion: .prefixedNo, help: "On ZooKeeper, adopt the ZooKeeper session of a replica (a gateway with the same record root) that stops, so that its devices' ephemerals live on; and hand this one's over at shutdown.")
    var replicaAdoption = true

    @Option(help: "TLS to the ensemble's secure client ports (TLS 1.2 and 1.3): PEM CA certificates the members' certificates must chain to.")
    var zookeeperTlsCa: String?

    @Option(help: "PEM client certificate (and chain) zkgate presents to the ensemble; with the x509 provider, the ensemble knows zkgate by its subject. Needs --zookeeper-tls-key.")
    var zookeeperTlsCert: String?

    @Option(help: "PEM private key of --zookeeper-tls-cert.")
    var zookeeperTlsKey: String?

    @Flag(inversion: .prefixedNo, help: "With --zookeeper-tls-ca, require each member's certificate to name the host (or IP address) it is reached at.")
    var zookeeperTlsVerifyHostname = true

    @Option(help: "File of credentials zkgate authenticates to the ensemble with, one scheme:credentials per line (digest:user:password), sent first on every connection. Keep it unreadable by others: zkgate refuses a world-readable one.")
    var zookeeperAuthFile: String?

    @Option(help: "An ACL entry (scheme:id:perms, e.g. world:anyone:r, auth::cdrwa, x509:CN=zkgate,O=example:cdrwa) of every ordinary node zkgate creates; repeat for more. Default with an identity (client certificate or auth file): auth::cdrwa and world:anyone:r; without one, world:anyone:cdrwa.")
    var zookeeperAcl: [String] = []

    @Option(help: "An ACL entry of the nodes zkgate creates in its own record root (sessions, replica records with session passwords); repeat for more. Default with an identity: auth::cdrwa alone.")
    var zookeeperInternalAcl: [String] = []

    @Option(help: "Requests waiting at once (long-polls, lock and election waits, event streams); beyond it, 429 with Retry-After.")
    var maxParked = 100_000

    @Option(help: "Device sessions open at once; beyond it, opening one is 429 with Retry-After.")
    var maxSessions = 200_000

    @Option(help: "Longest long-poll wait in seconds (keep it under your proxies' idle cut-off).")
    var maxWait: Double = 55

    @Option(help: "Change events the watch feed keeps for resuming (older cursors get 410).")
    var watchHistory = 16_384

    @Option(help: "Also serve HTTPS on this address (host:port), beside --listen (or alone, with --listen none); needs --tls-cert and --tls-key.")
    var tlsListen: String?

    @Option(help: "PEM certificate chain for --tls-listen (reloaded on SIGHUP).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert (reloaded on SIGHUP).")
    var tlsKey: String?

    @Option(help: "PEM CA certificates that client certificates must chain to.")
    var tlsClientCA: String?

    @Option(help: "Client certificates: none; optional (a client without one gets 401 except on /healthz, /readyz, /metrics and /openapi.yaml); required (the handshake fails without a valid one).")
    var tlsClientAuth = "none"

    @Option(help: "Strict-Transport-Security max-age in seconds on answers over TLS (never on plain HTTP); 0 leaves the header out (default: 31536000, a year). Browsers then refuse plain HTTP to this host name on any port.")
    var tlsHstsMaxAge: Int?

    /// A year: the common value, and what preload lists ask for.
    static let defaultHSTSMaxAge = 31_536_000

    @Option(help: "Where locks live (Curator InterProcessMutex paths <root>/<name>).")
    var lockRoot = "/locks"

    @Option(help: "Where elections live (Curator LeaderLatch paths <root>/<name>).")
    var electionRoot = "/elections"

    @Option(help: "Curator ServiceDiscovery's base path for registrations.")
    var serviceRoot = "/services"

    @Option(help: "The root layer of the layered configuration.")
    var configRoot = "/config"

    @Option(help: "Access policy (JSON: tokens and grants). Without it every client may do everything, and zkgate says so at start-up. Reloaded on SIGHUP.")
    var authPolicy: String?

    @Option(help: "JWKS file (JSON) of the keys that sign device JWTs (ES256, RS256, EdDSA); a bearer JWT it verifies names the principal jwt:<sub>. Reloaded on SIGHUP with the policy.")
    var authJwks: String?

    @Option(help: "The iss a JWT must carry (unchecked when not given).")
    var authJwtIssuer: String?

    @Option(help: "The aud a JWT must carry (unchecked when not given).")
    var authJwtAudience: String?

    @Option(help: "Audit log: one JSON line per write, refusal, session opened or closed, and policy reload ('-' for standard output, or a file path, appended to). Never holds a token.")
    var auditLog: String?

    @Option(help: "Device sessions one principal may hold open at once under --auth-policy (administrators aside); beyond it, opening one is 429 with Retry-After.")
    var maxSessionsPerPrincipal = 1_000

    @Option(help: "Requests per principal (N/s or N/m) under --auth-policy; beyond it, 429 with Retry-After. Anonymous clients count per address. Probes and metrics are not counted.")
    var rateLimit: String?

    @Option(help: "Requests a principal may make at once within --rate-limit (default: one second's worth).")
    var rateLimitBurst: Double?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Flag(help: "Serve /debug routes that exercise deferred and streamed answers.")
    var debugRoutes = false

    /// `--rate-limit` and `--rate-limit-burst`.
    ///
    /// - Throws: `ValidationError` naming the option.
    func rateLimitOption() throws -> RateLimit? {
        guard let rateLimit else { return nil }
        if let rateLimitBurst, !(rateLimitBurst >= 1 && rateLimitBurst.isFinite) {
            throw ValidationError("--rate-limit-burst must be a number of requests, at least 1.")
        }
        guard let limit = RateLimit(parsing: rateLimit, burst: rateLimitBurst) else {
            throw ValidationError("--rate-limit must be a positive rate such as 50/s or 600/m, not '\(rateLimit)'.")
        }
        return limit
    }

    /// The recipe roots from their options.
    ///
    /// - Throws: `ValidationError` naming the option with a path that is invalid or is `/`.
    func recipeRoots() throws -> RecipeRoots {
        func root(_ option: String, _ text: String) throws -> ZNodePath {
            guard let path = try? ZNodePath(validating: text), !path.isRoot else {
                throw ValidationError("\(option) must be a ZooKeeper path below /, such as /locks, not '\(text)'.")
            }
            return path
        }
        return RecipeRoots(
            locks: try root("--lock-root", lockRoot), elections: try root("--election-root", electionRoot),
            services: try root("--service-root", serviceRoot), config: try root("--config-root", configRoot))
    }

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be from 1 to 256.") }
        for (name, value) in [
            ("--idle-timeout", idleTimeout), ("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout),
            ("--write-timeout", writeTimeout), ("--shutdown-timeout", shutdownTimeout),
        ] where !(value > 0 && value <= 86_400) {
            throw ValidationError("\(name) must be a number of seconds above 0 and at most 86400.")
        }
        guard (0...(1 << 30)).contains(maxBody) else { throw ValidationError("--max-body must be from 0 to 1073741824.") }
        guard (64...(1 << 20)).contains(maxRequestLine) else { throw ValidationError("--max-request-line must be from 64 to 1048576.") }
        guard (256...(1 << 20)).contains(maxHeaderBytes) else { throw ValidationError("--max-header-bytes must be from 256 to 1048576.") }
        guard (1...10_000_000).contains(watchHistory) else { throw ValidationError("--watch-history must be from 1 to 10000000.") }
        guard maxWait > 0 && maxWait <= 3600 else { throw ValidationError("--max-wait must be above 0 and at most 3600 seconds.") }
        guard (1...1_000_000).contains(maxParked) else { throw ValidationError("--max-parked must be from 1 to 1000000.") }
        guard (1...10_000_000).contains(maxSessions) else { throw ValidationError("--max-sessions must be from 1 to 10000000.") }
        guard !dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty.") }
        guard quotaBytes >= 0 else { throw ValidationError("--quota-bytes must be 0 (no quota) or positive.") }
        guard snapshotBytes > 0 else { throw ValidationError("--snapshot-bytes must be positive.") }
        if let zookeeper {
            do { _ = try ConnectString(parsing: zookeeper) } catch { throw ValidationError("--zookeeper: \(error)") }
        }
        guard (1_000...3_600_000).contains(zookeeperSessionTimeout) else {
            throw ValidationError("--zookeeper-session-timeout must be from 1000 to 3600000 ms.")
        }
        guard drainSeconds.isFinite, (0...300).contains(drainSeconds) else {
            throw ValidationError("--drain-seconds must be from 0 to 300.")
        }
        _ = try recipeRoots()
        try validateTLS()
        try validateZooKeeperSecurity()
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a level.") }
        if listen != "none" {
            do { _ = try SocketAddress(parsing: listen) } catch { throw ValidationError("--listen: \(error)") }
        }
    }

    func run() throws {
        // Before any thread starts, so every thread inherits the mask and only this one
        // takes the signals.
        zk_block_signals()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "zkgate")
        let descriptors = zk_raise_nofile_limit()

        let configuration: HTTPServerConfiguration
        do {
            configuration = try makeConfiguration()
        } catch let error as TLSError {
            logger.critical("cannot start TLS", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let accessFiles = authPolicy.map {
            AccessFiles(policy: $0, jwks: authJwks, issuer: authJwtIssuer, audience: authJwtAudience)
        }
        var access: AccessControl?
        if let accessFiles {
            do {
                access = try accessFiles.load()
            } catch {
                logger.critical("cannot use the access policy", metadata: ["error": "\(error)"])
                throw ExitCode(1)
            }
        } else if rateLimit != nil {
            logger.critical("--rate-limit needs --auth-policy: it limits each principal, and only a policy names them")
            throw ExitCode(1)
        } else if authJwks != nil {
            logger.critical("--auth-jwks needs --auth-policy: the policy decides what a verified device may do")
            throw ExitCode(1)
        } else {
            logger.warning("no --auth-policy: every client may read, write and delete every node and session (see Securing zkgate in the README)")
        }
        var audit: AuditLog?
        if let auditLog {
            if auditLog == "-" {
                audit = AuditLog(fd: STDOUT_FILENO, ownsFD: false)
            } else {
                let fd = open(auditLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    logger.critical("cannot open the audit log", metadata: ["path": "\(auditLog)", "errno": "\(errno)"])
                    throw ExitCode(1)
                }
                audit = AuditLog(fd: fd, ownsFD: true)
            }
        }
        // The address first: a port that cannot be had stops us before the data folder (and
        // its lock) is touched.
        do {
            if let address = configuration.address { try Socket.ensureAvailable(address) }
            if let tls = configuration.tls { try Socket.ensureAvailable(tls.address) }
        } catch {
            logger.critical("cannot start", metadata: ["address": "\(listen)", "error": "\(error)"])
            throw ExitCode(1)
        }
        // The loops first: the ZooKeeper client shares the first, so a request on it reaches
        // ZooKeeper and back on one thread (about a fifth less CPU per write, measured). They
        // stop last, after the store has closed its session on that loop.
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(count: configuration.threads, name: "zkgate-loop")
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        // Swift may release a local after its last use, before the defers run: the server is
        // kept here until the loops have stopped, since tasks still in flight can resume on
        // them and reach its connections.
        var liveServer: HTTPServer?
        defer {
            group.stop()
            withExtendedLifetime(liveServer) {}
        }
        let store: any CoordinationBackend
        if let zookeeper {
            do {
                store = try connect(zookeeper, loop: group.loops[0], logger: logger)
            } catch {
                logger.critical("cannot reach ZooKeeper", metadata: ["zookeeper": "\(zookeeper)", "error": "\(error)"])
                throw ExitCode(1)
            }
        } else {
            do {
                store = try EmbeddedStore(
                    configuration: .init(dataDirectory: dataDir, snapshotBytes: snapshotBytes, quotaBytes: quotaBytes),
                    logger: logger)
            } catch {
                logger.critical("cannot open the data folder", metadata: ["dataDirectory": "\(dataDir)", "error": "\(error)"])
                throw ExitCode(1)
            }
        }
        defer { store.shutdown() }
        let stats = HTTPServerStats()
        if let zookeeperStore = store as? ZooKeeperStore {
            let store = zookeeperStore
            let metrics: [(String, String, String, @Sendable () -> Int)] = [
                ("zkgate_zookeeper_regressions_total", "counter",
                 "Nodes ZooKeeper showed older than this gateway had acknowledged (committed transactions lost by the ensemble).",
                 { store.regressionCount }),
                ("zkgate_replica_adoptions_total", "counter",
                 "ZooKeeper sessions of stopped replicas this gateway adopted, with the device ephemerals in them.",
                 { store.adoptionCount }),
                ("zkgate_replica_peers", "gauge",
                 "Other replicas (gateways with the same record root) whose records this gateway sees.", { store.peerCount }),
                ("zkgate_replica_sessions_taken_back_total", "counter",
                 "Times this gateway took its ZooKeeper session back from a replica that adopted it while it was cut off.",
                 { store.takenBackCount }),
                ("zkgate_zookeeper_session_in_doubt", "gauge",
                 "1 while this gateway's ZooKeeper session is in doubt (no connection, or its replica record not written for 0.75 s): renewals and grants answer 503.",
                 { store.sessionInDoubt ? 1 : 0 }),
            ]
            for (name, type, help, value) in metrics { stats.register(RegisteredMetric(name: name, type: type, help: help, value: value)) }
        }
        let gateway = Gateway(
            backend: store,
            options: .init(
                debugRoutes: debugRoutes, threads: configuration.threads, maxParked: maxParked, maxSessions: maxSessions,
                maxWait: .milliseconds(Int64(maxWait * 1000)), watchHistory: watchHistory, roots: try recipeRoots(),
                rateLimit: try rateLimitOption(), maxSessionsPerPrincipal: maxSessionsPerPrincipal),
            stats: stats, access: access, audit: audit)
        let router = gateway.router()
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: configuration, router: router, logger: logger, stats: stats, group: group)
            liveServer = server
        } catch {
            logger.critical("cannot start", metadata: ["address": "\(listen)", "error": "\(error)"])
            throw ExitCode(1)
        }
        var listening: Logger.Metadata = [
            "address": "\(server.address.map { "\($0)" } ?? "none")", "threads": "\(configuration.threads)",
            "descriptors": "\(descriptors)", "version": "\(ZKGate.version)",
        ]
        if let tlsAddress = server.tlsAddress { listening["tlsAddress"] = "\(tlsAddress)" }
        logger.info("listening", metadata: listening)

        while true {
            let signal = zk_wait_signal()
            if signal == SIGHUP {
                if let accessFiles {
                    do {
                        _ = gateway.replaceAccessControl(try accessFiles.load())
                        logger.info("SIGHUP: reloaded the access policy")
                        gateway.auditPolicyReload(error: nil)
                    } catch {
                        logger.error("SIGHUP: kept the previous access policy", metadata: ["error": "\(error)"])
                        gateway.auditPolicyReload(error: "\(error)")
                    }
                }
                // New connections get the reloaded certificate; open ones keep theirs.
                guard let tls = configuration.tls else {
                    if accessFiles == nil { logger.info("SIGHUP: nothing to reload (no TLS listener, no access policy)") }
                    continue
                }
                do {
                    try tls.source.reload()
                    logger.info("SIGHUP: reloaded the TLS certificate and key")
                } catch {
                    logger.error("SIGHUP: kept the previous TLS certificate", metadata: ["error": "\(error)"])
                }
                continue
            }
            logger.info("shutting down", metadata: ["signal": "\(signal)"])
            break
        }
        gateway.beginDraining()
        if drainSeconds > 0 {
            logger.info("draining: /readyz fails while requests are still served", metadata: ["seconds": "\(drainSeconds)"])
            let again = zk_wait_signal_timeout(Int32(drainSeconds * 1000))
            if again == SIGINT || again == SIGTERM { logger.info("second signal: draining cut short") }
        }
        // A second SIGINT or SIGTERM during the drain cuts it short.
        server.shutdown(interrupt: {
            let again = zk_wait_signal_timeout(0)
            return again == SIGINT || again == SIGTERM
        })
        logger.info("stopped")
    }

    /// Connects to the ensemble before anything serves; start-up waits for it (at most twice
    /// the session timeout) so that a wrong address fails here, clearly, not on every request.
    func connect(_ connectString: String, loop: EventLoop, logger: Logger) throws(CoordinationError) -> ZooKeeperStore {
        let outcome = Mutex<Result<ZooKeeperStore, CoordinationError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let security: ZooKeeperSecurity
        do { security = try zookeeperSecurity() } catch { throw .badArguments("\(error)") }
        if !security.hasIdentity && security.acls == .open {
            logger.warning("zkgate has no identity on the ensemble (no --zookeeper-tls-cert or --zookeeper-auth-file): the nodes it creates carry an open ACL, so any ZooKeeper client may change or delete them")
        }
        let configuration = ZooKeeperStore.Configuration(
            connectString: connectString, sessionTimeoutMs: zookeeperSessionTimeout, loop: loop, adoptsReplicas: replicaAdoption,
            tls: security.tls, auths: security.auths, acls: security.acls)
        Task {
            do throws(CoordinationError) {
                let store = try await ZooKeeperStore(configuration: configuration, logger: logger)
                outcome.withLock { $0 = .success(store) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// The TLS options make sense together: a listener needs a certificate and key, client
    /// authentication needs a CA, and none of them applies without a listener.
    func validateTLS() throws {
        guard let mode = TLSConfiguration.ClientAuthentication(rawValue: tlsClientAuth) else {
            throw ValidationError("--tls-client-auth must be none, optional or required, not '\(tlsClientAuth)'.")
        }
        guard let tlsListen else {
            if listen == "none" {
                throw ValidationError("--listen none needs --tls-listen: without it no listener would remain.")
            }
            if tlsHstsMaxAge != nil {
                throw ValidationError("--tls-hsts-max-age needs --tls-listen.")
            }
            if tlsCert != nil || tlsKey != nil || tlsClientCA != nil || mode != .none {
                throw ValidationError("--tls-cert, --tls-key, --tls-client-ca and --tls-client-auth need --tls-listen.")
            }
            return
        }
        if let tlsHstsMaxAge, !(0...(1 << 30)).contains(tlsHstsMaxAge) {
            throw ValidationError("--tls-hsts-max-age must be from 0 to 1073741824 seconds.")
        }
        let tlsAddress: SocketAddress
        do { tlsAddress = try SocketAddress(parsing: tlsListen) } catch { throw ValidationError("--tls-listen: \(error)") }
        // Both listeners use SO_REUSEPORT, so the same port twice would bind and split the
        // connections between plain and TLS at random.
        if let plain = try? SocketAddress(parsing: listen), plain.port != 0, plain.port == tlsAddress.port {
            throw ValidationError("--tls-listen must use another port than --listen (\(listen)).")
        }
        guard tlsCert != nil, tlsKey != nil else { throw ValidationError("--tls-listen needs --tls-cert and --tls-key.") }
        if mode != .none && tlsClientCA == nil {
            throw ValidationError("--tls-client-auth \(tlsClientAuth) needs --tls-client-ca.")
        }
        if mode == .none && tlsClientCA != nil {
            throw ValidationError("--tls-client-ca needs --tls-client-auth optional or required.")
        }
    }

    /// The TLS listener from the options (files loaded now, so a bad one stops start-up).
    func makeTLSListener() throws -> HTTPServerConfiguration.TLSListener? {
        guard let tlsListen, let tlsCert, let tlsKey else { return nil }
        let source = try TLSContextSource(TLSConfiguration(
            certificateChainPath: tlsCert, privateKeyPath: tlsKey, clientCAPath: tlsClientCA,
            clientAuthentication: TLSConfiguration.ClientAuthentication(rawValue: tlsClientAuth) ?? .none,
            applicationProtocols: ["h2", "http/1.1"]))
        // Probes and scrapers rarely hold client certificates. Under an access policy, a client
        // without one is decided by the policy instead (anonymous, or a bearer token's).
        let hstsMaxAge = tlsHstsMaxAge ?? Self.defaultHSTSMaxAge
        return .init(address: try SocketAddress(parsing: tlsListen), source: source,
            anonymousPaths: authPolicy == nil ? ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] : nil,
            hstsMaxAge: hstsMaxAge > 0 ? hstsMaxAge : nil)
    }

    func makeConfiguration() throws -> HTTPServerConfiguration {
        let second = Double(HTTPServerConfiguration.second)
        let log: HTTPServerConfiguration.AccessLogDestination? =
            switch accessLog {
            case "off": nil
            case "-": .standardOutput
            default: .file(accessLog)
            }
        return HTTPServerConfiguration(
            address: listen == "none" ? nil : try SocketAddress(parsing: listen),
            threads: threads ?? HTTPServerConfiguration.coreCount,
            limits: .init(maxRequestLine: maxRequestLine, maxHeaderBytes: maxHeaderBytes, maxBody: maxBody),
            idleTimeout: UInt64(idleTimeout * second), headerTimeout: UInt64(headerTimeout * second),
            bodyTimeout: UInt64(bodyTimeout * second), writeTimeout: UInt64(writeTimeout * second),
            shutdownTimeout: UInt64(shutdownTimeout * second), accessLog: log, tls: try makeTLSListener())
    }
}

#if canImport(Glibc)
import Glibc
#endif
