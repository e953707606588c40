##! Receiving from the bridge, and generic Redis messages.
##!
##! The bridge publishes what it reads from Redis as Broker events on topics
##! of its own (``docs/protocol.md``, "Redis to Zeek"). An event reaches a
##! node if the node subscribes to its topic and is peered with the bridge.
##! Every node peers with the bridge directly (``bridge.zeek``; no cluster
##! node relays for another), so whatever a node subscribes to arrives there
##! once, and nowhere else. Subscriptions are therefore made only on the
##! node types that are to handle the events: by default the manager of a
##! cluster, or a standalone Zeek.
##!
##! This file subscribes to :zeek:see:`RedisBridge::messages_topic`, which
##! carries :zeek:see:`RedisBridge::redis_message`. It has no handler of its
##! own but an optional debug print (:zeek:see:`RedisBridge::debug_messages`):
##! any script can handle the event.

@load ./main
@load ./bridge

module RedisBridge;

# Whether this file peered with the bridge itself: for a node that receives
# from the bridge but does not forward logs (its type is not in node_types,
# so bridge.zeek does not peer).
global receive_peered = F;

## Subscribes this node to Broker topic *t*, published on by the bridge, and
## makes sure the node is peered with the bridge. Called in ``zeek_init``.
function receive_from_bridge(t: string)
	{
	# A subscription to a prefix of the logs topic would bring the log
	# batches of the other nodes of a cluster here.
	if ( sub_bytes(topic, 1, |t|) == t )
		Reporter::warning(fmt("RedisBridge: topic %s is a prefix of the logs topic %s", t, topic));

	if ( ! subscribe_topic(t) )
		Reporter::warning(fmt("RedisBridge: could not subscribe to %s", t));

	# Forwarding nodes peer in bridge.zeek; with TRANSPORT_WEBSOCKET the
	# bridge connects to the node (websocket.zeek).
	if ( enabled || receive_peered || transport != TRANSPORT_BROKER )
		return;

	receive_peered = T;
	Broker::peer(bridge_host, bridge_port, retry_interval);
	}

# After main.zeek's zeek_init (priority 100, sets "enabled") and a ZeroMQ
# backend's Cluster::init (priority 10), and before bridge.zeek peers
# (priority 0), so the subscription goes out with the peering.
event zeek_init() &priority=5
	{
	if ( Cluster::local_node_type() in messages_node_types )
		receive_from_bridge(messages_topic);
	}

event redis_message(channel: string, matched_pattern: string, payload: string)
	{
	if ( ! debug_messages )
		return;

	print fmt("RedisBridge::redis_message channel=%s pattern=%s size=%d payload=%s",
	          channel, matched_pattern, |payload|, sub_bytes(payload, 1, 200));
	}
