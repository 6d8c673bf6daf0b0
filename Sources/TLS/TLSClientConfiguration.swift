/// How a TLS client checks the server and presents itself: for zkgate's connections to a
/// ZooKeeper ensemble's secure client port.
public struct TLSClientConfiguration: Sendable, Hashable {
    /// PEM: the CAs the server's certificate must chain to.
    public var caPath: String
    /// PEM: the client's certificate, then its chain (nil: none presented).
    public var certificateChainPath: String?
    /// PEM: the client certificate's private key.
    public var privateKeyPath: String?
    /// Whether the server's certificate must name the host connected to (its DNS name or IP
    /// address in subjectAltName). Off only where certificates cannot name their hosts.
    public var verifiesHostName: Bool

    public init(caPath: String, certificateChainPath: String? = nil, privateKeyPath: String? = nil, verifiesHostName: Bool = true) {
        self.caPath = caPath
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.verifiesHostName = verifiesHostName
    }
}
