import Foundation

/// JSON bytes for a request body (slashes unescaped, keys sorted).
public func jsonBytes(_ object: Any) -> [UInt8] {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys, .fragmentsAllowed])
    return [UInt8](data)
}

/// An integer out of a JSONSerialization value (NSNumber on Linux).
public func intValue(_ value: Any?) -> Int? {
    switch value {
    case let n as Int: n
    case let n as NSNumber: n.intValue
    default: nil
    }
}

/// Every byte value once, 0 through 255.
public let allByteValues: [UInt8] = (0...255).map { UInt8($0) }
