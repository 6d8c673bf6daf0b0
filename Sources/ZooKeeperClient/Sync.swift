/// SyncRequest → SyncResponse, both {ustring path}. Send before a read that must see every
/// write committed before it.
public typealias SyncRequest = PathRecord
public typealias SyncResponse = PathRecord

/// CheckVersionRequest {ustring path; int version}, the layout of `DeleteRequest`: only valid
/// inside a multi (op 13). Errors: NONODE -101, BADVERSION -103.
public typealias CheckVersionRequest = DeleteRequest
