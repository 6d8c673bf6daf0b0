// The ZooKeeper client benchmark: see bench/zk-client.sh.
print("zk-bench: not built yet")
