import Foundation
import PackagePlugin

/// Embeds openapi/openapi.yaml in GatewayAPI at build time (`OpenAPIDocument.yaml`), so the
/// binary serves the reviewed contract at /openapi.yaml with one source of truth and no
/// generated file in the repository.
@main
struct EmbedOpenAPI: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let yaml = context.package.directoryURL.appending(path: "openapi/openapi.yaml")
        let output = context.pluginWorkDirectoryURL.appending(path: "OpenAPIDocument.swift")
        // The YAML goes in a ## raw string literal, whose delimiter it never contains. A
        // multi-line literal leaves out the line break before its closing delimiter, so one
        // more goes there: the document is served byte for byte, its last newline included.
        let script = ###"""
            set -e
            {
              printf '// Generated from openapi/openapi.yaml at build time.\n\nenum OpenAPIDocument {\n    static let yaml = ##"""\n'
              cat "$1"
              printf '\n"""##\n}\n'
            } > "$2"
            """###
        return [
            .buildCommand(
                displayName: "Embedding openapi/openapi.yaml",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", yaml.path, output.path],
                inputFiles: [yaml],
                outputFiles: [output])
        ]
    }
}
