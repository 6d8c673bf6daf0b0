// authz-bench: PrincipalRules.decide on a policy of 1,000 grants.
//
//   authz-bench [DECISIONS]   builds the policy and one principal's rules, then decides
//                             DECISIONS requests (default 1,000,000) over a fixed mix of
//                             allowed and denied paths, and prints ns/decision
//
// Under callgrind, instructions per decision are the difference between two runs of different
// DECISIONS divided by the difference in decisions (the setup cancels out).
import Authorization

let decisions = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000

/// 1,000 grants of the shapes a multi-tenant deployment writes: per tenant a config subtree,
/// device subtrees by name, locks and service registrations, some for certificates' alternative
/// names, and a few shared paths under a `*` tenant; grant 0 makes `token:ops` an administrator.
func policyDocument() -> [UInt8] {
    var grants = [#"{"who":["token:ops"],"allow":["admin"],"paths":["/**"]}"#]
    for i in 1..<1_000 {
        let t = "t\(i % 250)"
        switch i % 5 {
        case 0: grants.append(#"{"who":["cert:*","jwt:*"],"allow":["read"],"paths":["/tenants/\#(t)/config/**"]}"#)
        case 1: grants.append(#"{"who":["cert:*","jwt:*"],"allow":["read","write"],"paths":["/tenants/\#(t)/devices/{name}/**"]}"#)
        case 2: grants.append(#"{"who":["cert:*"],"allow":["lock","elect"],"paths":["/tenants/\#(t)/locks/*","/tenants/\#(t)/leaders/*"]}"#)
        case 3: grants.append(#"{"who":["san:dev1.\#(t).example"],"allow":["register"],"paths":["/tenants/\#(t)/services/*/{name}"]}"#)
        default: grants.append(#"{"who":["cert:*"],"allow":["read"],"paths":["/tenants/*/shared/s\#(i)/**"]}"#)
        }
    }
    let tokens = #"[{"id":"ops","sha256":"\#(String(repeating: "ab", count: 32))"}]"#
    return Array(#"{"tokens":\#(tokens),"grants":[\#(grants.joined(separator: ","))]}"#.utf8)
}

let policy: Policy
do { policy = try Policy(json: policyDocument()) } catch { fatalError("\(error)") }
let principal: Principal
do { principal = try Principal(kind: .cert, name: "dev1", alternativeNames: ["dev1.t3.example"]) } catch { fatalError("\(error)") }

let buildStart = ContinuousClock.now
let rules = policy.rules(for: principal)
let buildTime = ContinuousClock.now - buildStart

// Half allowed, half denied, from one to seven segments deep.
let requests: [(Permission, String)] = [
    (.read, "/tenants/t5/config/app/feature-flags"),
    (.write, "/tenants/t6/devices/dev1/state"),
    (.write, "/tenants/t6/devices/dev2/state"),
    (.lock, "/tenants/t7/locks/printer-3"),
    (.lock, "/tenants/t7/locks/printer-3/lease"),
    (.register, "/tenants/t3/services/api/dev1"),
    (.register, "/tenants/t4/services/api/dev1"),
    (.read, "/tenants/t9/shared/s4/readme"),
    (.read, "/tenants/t9/shared/s5/readme"),
    (.write, "/tenants/t5/config/app"),
    (.read, "/"),
    (.read, "/zookeeper/quota"),
    (.read, "/tenants/t106/devices/dev1/sensors/temperature/current/value"),
    (.elect, "/tenants/t132/leaders/scheduler"),
    (.admin, "/tenants/t5/config"),
    (.read, "/tenants/t5/config/../devices/dev2"),
]

var allowed = 0
var checksum = 0
let start = ContinuousClock.now
for i in 0..<decisions {
    let (permission, path) = requests[i & 15]
    if case .allowed(let grant) = rules.decide(permission, path: path) {
        allowed += 1
        checksum &+= grant
    }
}
let elapsed = ContinuousClock.now - start

func nanoseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
}

print("grants: \(policy.grants.count)")
print("rules for \(principal): built in \(Int(nanoseconds(buildTime) / 1000)) µs")
print("decisions: \(decisions), allowed: \(allowed) (checksum \(checksum))")
// Tenths by integer arithmetic: Double.rounded() would need libm, which nothing here links.
let tenths = Int(nanoseconds(elapsed) * 10 / Double(max(decisions, 1)))
print("ns/decision: \(tenths / 10).\(tenths % 10)")
