/// How a TLS listener presents itself and what it asks of clients.
public struct TLSConfiguration: Sendable, Hashable {
    /// Whether clients present certificates.
    public enum ClientAuthentication: String, Sendable, Hashable {
        /// No client certificate is asked for.
        case none
        /// One is asked for; a client without one completes the handshake (the application
        /// then decides, e.g. 401), and one with an invalid certificate does not.
        case optional
        /// A handshake without a valid client certificate fails.
        case required
    }

    /// PEM: the server's certificate, then its chain.
    public var certificateChainPath: String
    /// PEM: the certificate's private key.
    public var privateKeyPath: String
    /// PEM: the CAs that client certificates must chain to (with client authentication).
    public var clientCAPath: String?
    public var clientAuthentication: ClientAuthentication
    /// ALPN protocols in the server's order of preference (`h2`, `http/1.1`).
    public var applicationProtocols: [String]

    public init(
        certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil,
        clientAuthentication: ClientAuthentication = .none, applicationProtocols: [String] = ["http/1.1"]
    ) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.clientAuthentication = clientAuthentication
        self.applicationProtocols = applicationProtocols
    }
}
