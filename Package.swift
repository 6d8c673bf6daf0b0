// swift-tools-version:6.1
import PackageDescription

// Layers, each depending only on those below it (SystemCalls, the one syscall wrapper, is
// below Reactor and Storage):
//   zkgate → GatewayAPI → HTTPServer → (HTTPCore, Reactor, TLS, HTTP2) → CZKShims
//   zkgate → EmbeddedBackend → (Coordination, Storage)
//   zkgate → ZooKeeperBackend → (Coordination, ZooKeeperClient, Reactor: a loop shared with HTTP)
//   ZooKeeperClient → Reactor: the native ZooKeeper wire protocol (knows nothing of HTTP)
//   GatewayAPI → Recipes → (Coordination, JSON, Waiting): locks, elections, registration,
//   layered config over any backend
//   Waiting → Coordination: waiting in a task for the change batches that touch given paths
//   TLS → COpenSSL: sans-IO TLS sessions on memory BIOs
//   Credentials → (COpenSSL, JSON): bearer-token digests, JWKS and JWT verification
//   HTTP2 → CNGHTTP2: sans-IO HTTP/2 server sessions
//   Authorization → JSON: the access policy (who may do what on which paths), compiled per principal
// HTTPCore, JSON, Coordination and Authorization are pure Swift (sans-IO), so they can be tested
// and fuzzed alone.
// Besides the layer just below it, a target may use lower ones directly, and then declares them
// too: every module a target imports is among its dependencies (scripts/check-imports.sh checks
// this in CI). So GatewayAPI also depends on HTTPCore and Reactor, HTTPServer on JSON and
// CZKShims, zkgate on Coordination, HTTPCore, Reactor and CZKShims.
// Release builds drop the runtime exclusivity checks (measured: a few percent of the loop's
// CPU at 100k req/s); debug builds and the test suite keep them, so violations still surface.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "zkgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "zkgate", targets: ["zkgate"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CZKShims"),
        .systemLibrary(
            name: "CNGHTTP2", pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .target(name: "SystemCalls", swiftSettings: strict),
        .target(name: "TLS", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(name: "HTTP2", dependencies: ["CNGHTTP2"], swiftSettings: strict),
        .target(name: "Credentials", dependencies: ["COpenSSL", "JSON"], swiftSettings: strict),
        .target(name: "Reactor", dependencies: ["CZKShims", "SystemCalls"], swiftSettings: strict),
        .target(name: "HTTPCore", swiftSettings: strict),
        .target(name: "JSON", swiftSettings: strict),
        .target(name: "Coordination", swiftSettings: strict),
        .target(name: "Authorization", dependencies: ["JSON"], swiftSettings: strict),
        .target(name: "Waiting", dependencies: ["Coordination"], swiftSettings: strict),
        .target(name: "Recipes", dependencies: ["Coordination", "JSON", "Waiting"], swiftSettings: strict),
        .target(name: "ZooKeeperClient", dependencies: ["Reactor", "SystemCalls", "TLS"], swiftSettings: strict),
        .target(name: "Storage", dependencies: ["CZKShims", "SystemCalls"], swiftSettings: strict),
        .target(
            name: "EmbeddedBackend",
            dependencies: ["Coordination", "Storage", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "ZooKeeperBackend",
            dependencies: ["Coordination", "ZooKeeperClient", "Reactor", "TLS", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "HTTPServer",
            dependencies: [
                "Reactor", "SystemCalls", "CZKShims", "HTTPCore", "JSON", "TLS", "HTTP2",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "GatewayAPI",
            dependencies: [
                "HTTPServer", "HTTPCore", "Reactor", "Coordination", "Recipes", "Waiting", "JSON", "Authorization", "Credentials",
                "TLS", "SystemCalls",
            ],
            swiftSettings: strict, plugins: ["EmbedOpenAPI"]),
        .plugin(name: "EmbedOpenAPI", capability: .buildTool()),
        .executableTarget(
            name: "zkgate",
            dependencies: [
                "GatewayAPI", "Recipes", "Coordination", "HTTPServer", "HTTPCore", "Reactor", "CZKShims", "TLS",
                "Authorization", "Credentials", "SystemCalls",
                "EmbeddedBackend", "ZooKeeperBackend", "ZooKeeperClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "zk-bench", dependencies: ["ZooKeeperClient", "TLS"], path: "bench/ZooKeeperBench", swiftSettings: strict),
        .executableTarget(name: "json-bench", dependencies: ["JSON"], path: "bench/JSONBench", swiftSettings: strict),
        .executableTarget(
            name: "credentials-bench", dependencies: ["Credentials"], path: "bench/CredentialsBench", swiftSettings: strict),
        .executableTarget(
            name: "authz-bench", dependencies: ["Authorization"], path: "bench/AuthzBench", swiftSettings: strict),
        .target(name: "TestSupport", dependencies: ["CNGHTTP2", "TLS"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTPCoreTests", dependencies: ["HTTPCore"], swiftSettings: strict),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "CoordinationTests", dependencies: ["Coordination", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "AuthorizationTests", dependencies: ["Authorization", "JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "CNGHTTP2", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "COpenSSL", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "CredentialsTests", dependencies: ["Credentials", "JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "RecipesTests", dependencies: ["Recipes", "JSON", "Coordination", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ZooKeeperBackendTests", dependencies: ["ZooKeeperBackend", "Coordination", "ZooKeeperClient"], swiftSettings: strict),
        .testTarget(
            name: "ZooKeeperClientTests", dependencies: ["ZooKeeperClient", "Reactor", "SystemCalls", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ConformanceTests",
            dependencies: [
                "Coordination", "Recipes", "Waiting", "JSON", "EmbeddedBackend", "Storage", "ZooKeeperBackend", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport", "StorageProbe"], swiftSettings: strict),
        .executableTarget(name: "StorageProbe", dependencies: ["Storage"], path: "Tests/StorageProbe", swiftSettings: strict),
        // Heap allocations of the loop's hot paths, counted in a process of its own: the counter
        // replaces malloc in whatever it is linked into, so it goes into AllocationProbe only, and
        // AllocationBudgetTests runs that probe without depending on it (a test target's
        // executable dependencies are linked into the shared test bundle). `swift build
        // --build-tests` and `swift test` build every executable, the probe included.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .executableTarget(
            name: "AllocationProbe",
            dependencies: [
                "CAllocationCounter", "Coordination", "EmbeddedBackend", "GatewayAPI", "HTTPCore", "HTTPServer", "Reactor",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/AllocationProbe", swiftSettings: strict),
        .testTarget(name: "AllocationBudgetTests", swiftSettings: strict),
        .testTarget(
            name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTPCore", "Reactor"], swiftSettings: strict),
        .testTarget(
            name: "GatewayAPITests",
            dependencies: [
                "GatewayAPI", "HTTPServer", "HTTPCore", "Reactor", "Recipes", "Coordination", "JSON", "EmbeddedBackend",
                "ZooKeeperBackend", "TestSupport", "Authorization", "Credentials", "TLS",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SystemLibraryTests", dependencies: ["CNGHTTP2", "COpenSSL"], swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests", dependencies: ["TestSupport", "zkgate", "CNGHTTP2"], swiftSettings: strict),
    ]
)
