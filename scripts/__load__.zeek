##! zeek-redis-bridge: forwards every Zeek log record to the zeek-redis-bridge
##! daemon, which writes it to Redis as Zeek's JSON log writer would.
##! Load it on every node of a cluster (it decides itself whether a node
##! forwards, see RedisBridge::node_types).

@load ./main
@load ./schema
@load ./logs
@load ./intercept
@load ./websocket
@load ./bridge
@load ./drain
@load ./messages
@load ./commands

# Live intel (intel.zeek) needs the Intel framework, which Zeek loads by
# default. In bare mode it is left out unless the framework was loaded
# before this package; load zeek-redis-bridge/intel to have it anyway.
@ifdef ( Intel::insert )
@load ./intel
@load ./intel_cluster
@endif

# The WebSocket transport on a cluster: after intel.zeek, whose replay the
# listening node waits for.
@load ./cluster
