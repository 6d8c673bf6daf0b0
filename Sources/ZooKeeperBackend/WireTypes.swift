import ZooKeeperClient

// The wire client's types under names that cannot be confused with the backend protocol's
// (the module and its main class share the name ZooKeeperClient, so `WireStat`
// would name a member of the class).
typealias WireStat = Stat
typealias WireCreateMode = CreateMode
