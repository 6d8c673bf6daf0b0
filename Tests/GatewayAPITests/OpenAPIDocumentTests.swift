import Foundation
import GatewayAPI
import Testing

@Suite struct OpenAPIDocumentTests {
    /// The served copy must be the reviewed contract, byte for byte (the EmbedOpenAPI plugin).
    @Test func embeddedDocumentMatchesTheFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("openapi/openapi.yaml"), encoding: .utf8)
        #expect(Gateway.openAPIDocument == file, "the EmbedOpenAPI build plugin embeds openapi/openapi.yaml byte for byte, its last newline too")
    }
}
