/// A connection a loop owns, whatever its protocol: the loop asks it to finish at shutdown.
protocol ServerConnection: AnyObject {
    /// Graceful shutdown began: finish what is in flight, then close.
    func shutdownRequested()
    /// The shutdown deadline passed: answer what is parked with 503 and close.
    func forceClose()
}

extension HTTP1Connection: ServerConnection {}
