import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// Host-name lookups away from the event loops. `getaddrinfo` blocks for as long as the name
/// servers take, seconds when one of them is down, and a loop that waited would stall every
/// connection it serves.
public enum HostResolver {
    public typealias Outcome = Result<[SocketAddress], SystemError>

    /// Looks `host` up on a short-lived thread of its own and calls `then` there with the
    /// addresses, in the resolver's order. Lookups happen only when a connection is opened, so
    /// a thread per lookup is cheap, and a lookup that hangs holds up no other.
    ///
    /// `then` is called exactly once: with `SystemError` (ENOENT and the resolver's message)
    /// when nothing resolves, or at once, on the caller's thread, with the errno of
    /// `pthread_create` when no thread can be started.
    public static func lookUp(host: String, port: UInt16, then: @escaping @Sendable (Outcome) -> Void) {
        let body = Unmanaged.passRetained(Lookup {
            then(Result { () throws(SystemError) in try Socket.resolve(host: host, port: port) })
        })
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            Unmanaged<Lookup>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, body.toOpaque())
        if rc != 0 {
            body.release()
            then(.failure(SystemError(code: rc, call: "pthread_create (lookup of \(host))")))
        }
    }
}

private final class Lookup {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
