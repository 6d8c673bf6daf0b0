import Foundation
import TLS

/// The tests' ensemble over TLS: scripts/test.sh's tls step runs the ZooKeeper-facing suites
/// again against deploy/zk-ensemble.sh in TLS mode, exporting ZKGATE_TEST_ZOOKEEPER_TLS (the
/// folder of its certificates). Every client the tests make then goes through TLS with the
/// ensemble's client identity: zkgate processes (`zkgateArguments`, added by ZKGateProcess),
/// in-process stores and clients (`context`), kazoo (`kazooOptions`) and Curator peers
/// (`curatorJVM`). Unset, everything is plaintext as before.
public enum EnsembleTLS {
    public static let directory = ProcessInfo.processInfo.environment["ZKGATE_TEST_ZOOKEEPER_TLS"]

    /// The client context for in-process stores and clients; nil in plaintext runs. A folder
    /// without usable certificates stops the run here, naming the file.
    public static let context: TLSClientContext? = directory.map { d in
        do {
            return try TLSClientContext(TLSClientConfiguration(
                caPath: d + "/ca.pem", certificateChainPath: d + "/client.pem", privateKeyPath: d + "/client-key.pem"))
        } catch {
            fatalError("ZKGATE_TEST_ZOOKEEPER_TLS=\(d): \(error)")
        }
    }

    public static var zkgateArguments: [String] {
        guard let d = directory else { return [] }
        return ["--zookeeper-tls-ca", d + "/ca.pem", "--zookeeper-tls-cert", d + "/client.pem", "--zookeeper-tls-key", d + "/client-key.pem"]
    }

    /// KazooClient arguments (Python, starting with a comma): TLS with the gateway's identity,
    /// so the tests' cleanups may delete what zkgate made under its ACLs.
    public static var kazooOptions: String {
        guard let d = directory else { return "" }
        return ", use_ssl=True, ca='\(d)/ca.pem', certfile='\(d)/client.pem', keyfile='\(d)/client-key.pem'"
    }

    public static var curatorJVM: [String] {
        guard let d = directory else { return [] }
        return Curator.tlsOptions(ca: d + "/ca.pem", keyStore: d + "/client-keystore.pem")
    }
}
