##! Live intel on a cluster over the Broker transport: a worker reading a
##! trace holds it until the manager has handed it the bridge's replayed
##! indicators, so that they match from the first packet (as on a
##! standalone Zeek). Every node peers with the bridge on its own, so a
##! worker's hold would otherwise end at its own peering, before the manager
##! has the replay (seen with Zeek 8.0.10: no intel.log match at all).
##!
##! The manager inserts the replay and the Intel framework sends new
##! indicators to the workers through one proxy (base/frameworks/intel/
##! cluster.zeek, the same round-robin key); after the replay's end
##! (:zeek:see:`RedisBridge::intel_replay_done`) the manager sends
##! :zeek:see:`RedisBridge::intel_ready` along the same path, and to each
##! worker that comes up later after the framework's store.
##! The WebSocket transport does the same in ``cluster.zeek``.

@load base/frameworks/intel
@load ./main
@load ./websocket
@load ./bridge
@load ./intel

module RedisBridge;

export {
	## Sent by the manager to the workers (TRANSPORT_BROKER) once they
	## hold the indicators of the bridge's replay; a worker reading a
	## trace continues on it (and the bridge's peering).
	global intel_ready: event();
}

# Sent by the manager to the proxy that relays its intel to the workers.
global intel_ready_relay: event();

# Cluster::publish (7.1 and later: any cluster backend), else Broker::publish;
# called like them. A built-in function cannot initialise a global on Zeek
# 3.2: set in zeek_init.
global publish_cluster: function(va_args: any): bool;

function intel_workers(): bool
	{
	return transport == TRANSPORT_BROKER && Cluster::is_enabled() &&
	       Cluster::MANAGER in intel_node_types;
	}

# Before bridge.zeek's zeek_init (priority 0), which starts the hold.
event zeek_init() &priority=5
	{
@if ( Version::number >= 70100 )
	publish_cluster = Cluster::publish;
@else
	publish_cluster = Broker::publish;
@endif

	if ( intel_workers() && enabled && Cluster::local_node_type() == Cluster::WORKER )
		replay_hold = intel_replay_timeout;
	}

event intel_ready()
	{
	if ( ! intel_workers() || Cluster::local_node_type() != Cluster::WORKER || replay_done )
		return;

	replay_done = T;

	# Otherwise Broker::peer_added ends the hold (replay_done is set).
	if ( bridge_up )
		stop_holding();
	}

event intel_ready_relay()
	{
	if ( intel_workers() )
		publish_cluster(Cluster::worker_topic, intel_ready);
	}

global intel_ready_send: event();

# The manager: the replay's indicators are handed on (intel_ready_send ran).
global replay_handed_on = F;

event intel_replay_done(indicators: count) &priority=-10
	{
	# Only the first replay: the bridge replays on every peering, and a
	# worker up by then has the indicators from the manager's store on
	# Cluster::node_up; an intel_ready relayed through the proxy could
	# overtake that store.
	if ( ! intel_workers() || ! intel_receiver || replay_handed_on )
		return;

	# The replay's intel_add events came in before this marker, but the
	# Intel::new_item events they raised, whose handlers publish the
	# indicators to the workers, are queued behind it: the same queue.
	event RedisBridge::intel_ready_send();
	}

event intel_ready_send()
	{
	if ( replay_handed_on )
		return;

	replay_handed_on = T;
	local pt = Cluster::rr_topic(Cluster::proxy_pool, "intel_insert_rr_key");

	if ( pt == "" )
		event RedisBridge::intel_ready_relay();
	else
		publish_cluster(pt, intel_ready_relay);
	}

# After the Intel framework's handler, which sends its store to a new
# worker on the same topic.
event Cluster::node_up(name: string, id: string) &priority=-10
	{
	if ( ! intel_workers() || ! intel_receiver || ! replay_handed_on )
		return;

	if ( name in Cluster::nodes && Cluster::nodes[name]$node_type == Cluster::WORKER )
		publish_cluster(Cluster::node_topic(name), intel_ready);
	}
