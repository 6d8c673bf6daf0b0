import Credentials
import Foundation
import GatewayAPI
import HTTPCore
import HTTPServer
import TLS
import TestSupport
import Testing

/// Requests as a given principal: a bearer token, a verified client certificate (as the TLS
/// layer reports it), or nothing at all.
enum Identity: Sendable, CustomStringConvertible {
    case anonymous
    case token(String)
    case cert(String, alternativeNames: [String] = [])

    var description: String {
        switch self {
        case .anonymous: "anonymous"
        case .token(let token): "token \(token)"
        case .cert(let name, _): "cert \(name)"
        }
    }
}

extension RouteHarness {
    /// The policy's `tokens` entry of a token: its id and SHA-256.
    static func tokenEntry(_ id: String, _ token: String) -> String {
        #"{"id": "\#(id)", "sha256": "\#(Hex.encode(SHA256.digest(Array(token.utf8))))"}"#
    }

    /// The grant the harness needs: `admin` on `/**` for the operator's token (id `operator`).
    static let operatorGrant = #"{"who": ["token:operator"], "allow": ["admin"], "paths": ["/**"]}"#

    /// The operator's `tokens` entry.
    static var operatorTokenEntry: String { tokenEntry("operator", operatorToken) }

    /// One request as `who`, with `object` as a JSON body when given.
    func request(_ method: HTTPMethod, _ target: String, object: Any? = nil, as who: Identity) async -> HTTPResponse {
        var headers: HTTPHeaders = [:]
        var peer: PeerIdentity?
        switch who {
        case .anonymous: break
        case .token(let token): headers.add(name: "Authorization", value: "Bearer \(token)")
        case .cert(let name, let alternativeNames): peer = PeerIdentity(commonName: name, subjectAlternativeNames: alternativeNames)
        }
        if object != nil { headers.add(name: "Content-Type", value: "application/json") }
        let head = HTTPRequestHead(method: method, target: target, headers: headers)
        let connection = RequestRecorder(loop: group.loops[0], isSecure: peer != nil, peerIdentity: peer)
        guard let response = await connection.response(head, body: object.map { jsonBytes($0) } ?? [], to: router) else {
            Issue.record("\(method) \(target) started a stream")
            return HTTPResponse(status: .internalServerError)
        }
        return response
    }
}
