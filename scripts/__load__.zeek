##! zeek-redis-bridge: forwards every Zeek log record to the zeek-redis-bridge
##! daemon, which writes it to Redis as Zeek's JSON log writer would.
##! Load it on every node of a cluster (it decides itself whether a node
##! forwards, see RedisBridge::node_types).

@load ./main
@load ./schema
@load ./logs
@load ./intercept
@load ./bridge
