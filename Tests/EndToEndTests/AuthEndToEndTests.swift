import Testing

/// Access control on the real binary over real sockets: zkgate under the worked fleet policy
/// (`AuthFleet`), with requests from every kind of principal over HTTP/1.1 and HTTP/2, and the
/// policy's files and tools. Each test starts its own server with its own folders.
@Suite("End to end: access control")
struct AuthEndToEndTests {}
