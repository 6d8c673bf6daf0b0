import ArgumentParser

@main
struct ZKGate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zkgate",
        abstract: "An HTTP/JSON coordination gateway in front of ZooKeeper.",
        discussion: """
            Devices and services that only speak HTTP register, lock, elect leaders and read
            configuration through zkgate. Run with no arguments to serve on 127.0.0.1:8080.
            """,
        version: ZKGate.version,
        subcommands: [Serve.self, Auth.self],
        defaultSubcommand: Serve.self)

    static let version = "0.1.0"
}
