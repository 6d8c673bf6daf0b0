import Synchronization

/// The TLS context new connections use, replaceable while the server runs: a reload (SIGHUP)
/// loads the certificate and key again, and connections made before it keep the context they
/// started with, so none is dropped.
public final class TLSContextSource: Sendable {
    private let current: Mutex<TLSContext>

    /// - Throws: `TLSError.configuration` as `TLSContext.init`.
    public init(_ configuration: TLSConfiguration) throws(TLSError) {
        current = Mutex(try TLSContext(configuration))
    }

    /// The context for a new connection.
    public var context: TLSContext { current.withLock { $0 } }

    /// Loads the same files again; on failure the previous context stays in use.
    ///
    /// - Throws: `TLSError.configuration` naming the file that could not be used.
    public func reload() throws(TLSError) {
        let fresh = try TLSContext(context.configuration)
        current.withLock { $0 = fresh }
    }
}
