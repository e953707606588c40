##! The WebSocket transport on a cluster (Zeek 7.2 and later). The bridge
##! keeps one WebSocket connection, to one node
##! (:zeek:see:`RedisBridge::websocket_node`, the manager by default). Every
##! forwarding node publishes its records with :zeek:see:`Cluster::publish`;
##! on a ZeroMQ cluster the WebSocket client's subscription is served by the
##! cluster's XPUB/XSUB proxy, so that one connection receives each node's
##! records once.
##!
##! Only the listening node sees the bridge come and go
##! (:zeek:see:`Cluster::websocket_client_added` / ``_lost``). It tells the
##! other nodes with :zeek:see:`RedisBridge::bridge_status` on
##! :zeek:see:`RedisBridge::cluster_topic`, on every change and to each node
##! that comes up (:zeek:see:`Cluster::node_up`). A node keeps its records
##! in its backlog while the bridge is away, and a node reading a trace
##! holds packet processing until the bridge is there, as with the Broker
##! transport. On the Broker backend a node's records reach the bridge only
##! over its own peering with the listening node: there a node takes the
##! bridge for up only while that node is its peer as well. When the listening node also inserts live intel, the first
##! "bridge is up" waits for the bridge's intel replay (at most
##! :zeek:see:`RedisBridge::intel_replay_timeout`): the manager hands the
##! indicators to the workers before it lets them go, so they match from
##! the first packet.
##!
##! Records published in the moment between the bridge's loss and a node
##! hearing of it would be lost (ZeroMQ drops what no one subscribes to),
##! and so would what the bridge held unwritten when it was killed. So each
##! node keeps what it published until the bridge confirms it is written
##! (a :zeek:see:`RedisBridge::drain` request every
##! :zeek:see:`RedisBridge::confirm_interval`, answered by
##! :zeek:see:`RedisBridge::drained`) and, when it hears that the bridge was
##! lost, puts the unconfirmed records back in front of its backlog: they
##! are sent again to the next bridge. Delivery is then at least once: a
##! record written but not yet confirmed when the bridge went away is
##! written twice.

@load ./main
@load ./logs
@load ./websocket
@load ./bridge

module RedisBridge;

export {
	## Topic prefix on which the listening node of a cluster publishes
	## :zeek:see:`RedisBridge::bridge_status` to the other nodes. Not
	## under the bridge's subscription (``zeek/redis/``).
	const cluster_topic = "zeek/redis-bridge/cluster/" &redef;

	## How often a forwarding cluster node asks the bridge to confirm the
	## records it published (TRANSPORT_WEBSOCKET). Each request is one
	## small event; records are kept until confirmed. Zero: no
	## confirmation and no resending (records published while the bridge
	## goes away can be lost).
	const confirm_interval = 1sec &redef;

	## Most records a node keeps unconfirmed. Beyond it the oldest are
	## let go (counted in a reporter warning): their batches were sent,
	## only their confirmation is missing.
	const max_unconfirmed = 100000 &redef;

	## Sent by the listening node of a cluster to the others (and passed
	## on by proxies): whether the bridge is connected to it.
	##
	## up: T when a WebSocket client is connected.
	##
	## connection: the number of the bridge's connection to the listening
	## node (1, 2, ... since it started). A node that sees a newer number
	## while it takes the bridge for up missed the loss: it sends its
	## schemas and unconfirmed records again.
	global bridge_status: event(up: bool, connection: count);
}

@if ( Version::number >= 70200 )

# Whether this node runs the cluster part: a cluster node on the WebSocket
# transport (set in zeek_init).
global cluster_ws = F;

# --- What a node knows of the bridge ---

# The newest status this node knows, from the listening node or a proxy:
# (connection, up) ordered as 2 * connection + (up ? 0 : 1), so that a
# connection's loss is newer than its start and older than the next start.
global status_up = F;
global status_connection = 0;

function status_order(up: bool, connection: count): count
	{
	return 2 * connection + (up ? 0 : 1);
	}

global status_changed: function(up: bool, connection: count);

function tell(t: string)
	{
	publish_event(t, bridge_status, status_up, status_connection);
	}

# --- Listening node ---

# The bridge's connections so far.
global connections = 0;

# The bridge is connected but the first intel replay has not ended yet.
global up_after_replay = F;

global replay_wait_over: event();

function tell_all(up: bool)
	{
	status_up = up;
	status_connection = connections;
	tell(cluster_topic);
	}

hook websocket_bridge_changed(up: bool)
	{
	if ( ! cluster_ws )
		return;

	if ( ! up )
		{
		up_after_replay = F;
		tell_all(F);
		return;
		}

	++connections;

	# intel.zeek holds for the replay on this node (replay_hold) until
	# its marker (replay_done).
	if ( replay_hold > 0secs && ! replay_done )
		{
		up_after_replay = T;
		schedule replay_hold { RedisBridge::replay_wait_over() };
		return;
		}

	tell_all(T);
	}

@ifdef ( Intel::insert )
# Sent by the listening node to the proxy that relays its intel to the
# workers; that proxy tells every node that the bridge is up.
global status_relay: event(up: bool, connection: count);
@endif

function replay_over()
	{
	if ( ! up_after_replay )
		return;

	up_after_replay = F;

@ifdef ( Intel::insert )
	# The manager hands new indicators to the workers through one proxy
	# (base/frameworks/intel/cluster.zeek, the same round-robin key), so
	# "up" sent along the same path reaches a worker after them.
	local pt = Cluster::rr_topic(Cluster::proxy_pool, "intel_insert_rr_key");

	if ( pt != "" )
		{
		status_up = T;
		status_connection = connections;
		publish_event(pt, status_relay, T, connections);
		return;
		}
@endif

	tell_all(T);
	}

event replay_wait_over()
	{
	replay_over();
	}

@ifdef ( Intel::insert )
event intel_replay_done(indicators: count) &priority=-10
	{
	# Queued behind the Intel::new_item events of the replayed
	# indicators, whose handlers publish them to the workers.
	event RedisBridge::replay_wait_over();
	}
@endif

@ifdef ( Intel::insert )
event status_relay(up: bool, connection: count)
	{
	if ( ! cluster_ws )
		return;

	status_changed(up, connection);
	tell(cluster_topic);
	}
@endif

# A node that comes up (or back) learns the status from the listening node
# and from every proxy that knows it (a node may peer with a proxy later
# than with the manager, Broker backend). After the Intel framework's
# handler, which sends the indicators to a new worker the same way.
event Cluster::node_up(name: string, id: string) &priority=-10
	{
	if ( ! cluster_ws )
		return;

	if ( websocket_listener() ||
	     (Cluster::local_node_type() == Cluster::PROXY && status_connection > 0) )
		tell(Cluster::node_topic(name));
	}

# --- Every forwarding node: records kept until confirmed ---

type Unconfirmed: record {
	path: string;
	recs: vector of any;
};

# Batches published and not yet confirmed, oldest first.
global unconfirmed: vector of Unconfirmed = vector();
global unconfirmed_records = 0;

# The outstanding confirmation request: its number and how many entries
# of unconfirmed it covers.
global confirm_seq = 0;
global confirm_waiting = F;
global confirm_covers = 0;
global confirm_reply_topic = "";
global let_go = 0;

global confirm_tick: event();

# Whether this node's trace is done: from then on what is left unconfirmed
# is asked for at once (the flush and confirmation timers run on the
# trace's clock, which stopped).
global input_over = F;

# Whether everything published up to the end of the trace was confirmed
# (said once).
global input_confirmed = F;

function confirming(): bool
	{
	return cluster_ws && enabled && confirm_interval > 0secs;
	}

hook batch_published(path: string, recs: vector of any)
	{
	if ( ! confirming() )
		return;

	unconfirmed += Unconfirmed($path=path, $recs=recs);
	unconfirmed_records += |recs|;

	while ( unconfirmed_records > max_unconfirmed && |unconfirmed| > 1 )
		{
		let_go += |unconfirmed[0]$recs|;
		unconfirmed_records -= |unconfirmed[0]$recs|;
		unconfirmed = unconfirmed[1:];

		if ( confirm_covers > 0 )
			--confirm_covers;
		}
	}

function ask_confirmation()
	{
	if ( ! bridge_up || confirm_waiting || |unconfirmed| == 0 )
		return;

	++confirm_seq;
	confirm_waiting = T;
	confirm_covers = |unconfirmed|;
	publish_event(topic, drain, confirm_seq, confirm_reply_topic, confirm_interval);
	}

event confirm_tick()
	{
	ask_confirmation();
	schedule confirm_interval { RedisBridge::confirm_tick() };
	}

event drained(seq: count, written: count, spooled: count, unwritten: count)
	{
	if ( ! confirming() || ! confirm_waiting || seq != confirm_seq )
		return;

	confirm_waiting = F;

	# The bridge's wait passed before all was written: ask again at the
	# next tick, or at once when the trace has ended (its clock, which
	# drives the ticks, stopped with it; the bridge's wait paces this).
	if ( unwritten > 0 )
		{
		if ( input_over )
			ask_confirmation();

		return;
		}

	for ( i in unconfirmed )
		{
		if ( i >= confirm_covers )
			break;

		unconfirmed_records -= |unconfirmed[i]$recs|;
		}

	unconfirmed = unconfirmed[confirm_covers:];
	confirm_covers = 0;

	if ( ! input_over )
		return;

	if ( |unconfirmed| > 0 )
		ask_confirmation();
	else if ( ! input_confirmed )
		{
		input_confirmed = T;
		Reporter::info(fmt("RedisBridge: the bridge confirmed every record published up to the end of the trace (%d)",
		                   published_records));
		}
	}

# Puts the unconfirmed records back in front of their streams' backlog.
function requeue_unconfirmed()
	{
	++confirm_seq;
	confirm_waiting = F;
	confirm_covers = 0;

	if ( |unconfirmed| == 0 )
		return;

	local back: table[string] of vector of any;
	local b: vector of any;

	for ( i in unconfirmed )
		{
		local u = unconfirmed[i];

		if ( u$path !in back )
			back[u$path] = new_batch();

		b = back[u$path];

		for ( j in u$recs )
			b[|b|] = u$recs[j];
		}

	for ( p in back )
		{
		if ( p !in streams )
			next;

		local s = streams[p];
		b = back[p];

		for ( j in s$batch )
			b[|b|] = s$batch[j];

		s$batch = b;
		}

	unconfirmed = vector();
	unconfirmed_records = 0;

	if ( let_go > 0 )
		{
		Reporter::warning(fmt("RedisBridge: %d unconfirmed records let go (RedisBridge::max_unconfirmed)", let_go));
		let_go = 0;
		}
	}

# The listening node puts its records back before bridge_gone().
hook websocket_bridge_changed(up: bool) &priority=10
	{
	if ( ! up && confirming() )
		requeue_unconfirmed();
	}

# --- Every other node: the listening node's news ---

# The bridge is gone for this node: its unconfirmed records go back to the
# backlog first.
function lose_bridge()
	{
	if ( confirming() )
		requeue_unconfirmed();

	bridge_gone();
	}

function status_changed(up: bool, connection: count)
	{
	if ( websocket_listener() ||
	     status_order(up, connection) <= status_order(status_up, status_connection) )
		return;

	status_up = up;
	status_connection = connection;

	if ( ! enabled )
		return;

	# Down, or up on a newer connection while this node took the bridge
	# for up (it missed the loss).
	if ( bridge_up )
		lose_bridge();

	if ( up )
		bridge_ready();
	}

event bridge_status(up: bool, connection: count)
	{
	if ( cluster_ws )
		status_changed(up, connection);
	}

# --- The listening node as this node's peer ---

# The name of the node the bridge connects to, as the other nodes know it.
function listener_name(): string
	{
	if ( websocket_node != "" )
		return websocket_node;

	for ( n in Cluster::nodes )
		if ( Cluster::nodes[n]$node_type == Cluster::MANAGER )
			return n;

	return "";
	}

# Whether this node has the listening node as a peer (Cluster::node_up
# seen, no node_down since).
global listener_up = F;

# Broker backend: what a node publishes reaches the bridge only through its
# own peering with the listening node (Broker does not pass messages on
# between peers), and a node may hear "up" from a proxy before it has
# peered with the listening node (a worker connects to the logger, the
# proxies and the manager one by one, and retries a failed attempt only
# after Cluster::retry_interval). Published then, its schemas and records
# were lost, and later batches arrived at the bridge without their schema.
# So on this backend the bridge counts as up only while the listening node
# is a peer as well.
#
# And the listening node's peers learn of the bridge's subscription
# (zeek/redis/) from that node's Broker, on their peering with it, some time
# after the bridge connected; Broker sends a message only to peers it knows
# to subscribe to its topic. "Up" relayed by a proxy (intel first, below)
# can arrive before that: a logger's first batch and schemas were lost so
# under load. So a node first asks the listening node for a listener_pong
# over their own peering, and takes the bridge for up when it arrives: by
# then what the listening node sent it earlier, the subscription included,
# has arrived too. (On ZeroMQ every publication goes through the XPUB/XSUB
# proxy; bridge_ready_zeromq waits for the subscription there.)
global listener_ping: event(node: string, seq: count);
global listener_pong: event(seq: count);
global ping_seq = 0;

function bridge_ready_broker()
	{
	if ( ! listener_up )
		return;

	++ping_seq;
	publish_event(Cluster::node_topic(listener_name()), listener_ping, Cluster::node, ping_seq);
	}

event listener_ping(node: string, seq: count)
	{
	if ( cluster_ws && websocket_listener() )
		publish_event(Cluster::node_topic(node), listener_pong, seq);
	}

event listener_pong(seq: count)
	{
	if ( seq == ping_seq && listener_up && enabled && status_up && ! bridge_up )
		bridge_ready_direct();
	}

event Cluster::node_up(name: string, id: string) &priority=-5
	{
	if ( ! cluster_ws || websocket_listener() || name != listener_name() )
		return;

	listener_up = T;

	if ( enabled && status_up && ! bridge_up )
		bridge_ready();
	}

# The listening node went away, and the bridge's connection to it with it:
# the bridge is gone for this node, and what the listening node says when
# it is back counts whatever its numbers (a restarted node counts its
# connections from 1 again).
event Cluster::node_down(name: string, id: string)
	{
	if ( ! cluster_ws || websocket_listener() || name != listener_name() )
		return;

	listener_up = F;
	status_up = F;
	status_connection = 0;

	if ( enabled && bridge_up )
		lose_bridge();
	}

# --- ZeroMQ: publish only once this node's XPUB socket knows the bridge ---
# A ZeroMQ publisher drops what no subscriber it knows of wants, and the
# bridge's subscription reaches each node's XPUB socket through the proxy
# some time after the bridge's ack (slow joiner): the first batch after the
# bridge connected was lost so. Needs the ZeroMQ backend's script loaded
# before this one (its subscription event).

@ifdef ( Cluster::Backend::ZeroMQ::subscription )
# Whether this node's XPUB socket has the bridge's subscription (a prefix
# of the logs topic) now.
global bridge_subscribed = F;

# Told that the bridge is up, waiting for its subscription.
global ready_pending = F;

function bridge_ready_zeromq()
	{
	if ( ! bridge_subscribed )
		{
		ready_pending = T;
		return;
		}

	ready_pending = F;
	bridge_ready_direct();
	}

event Cluster::Backend::ZeroMQ::subscription(t: string)
	{
	if ( ! cluster_ws || sub_bytes(topic, 1, |t|) != t )
		return;

	bridge_subscribed = T;

	if ( ready_pending && (websocket_listener() ? websocket_clients > 0 : status_up) )
		bridge_ready_zeromq();
	}

event Cluster::Backend::ZeroMQ::unsubscription(t: string)
	{
	if ( cluster_ws && sub_bytes(topic, 1, |t|) == t )
		bridge_subscribed = F;
	}
@endif

# The bridge came (back) after this node's trace ended: no timer of the
# trace's clock will ask for the confirmation of the backlog just sent.
hook bridge_taken_up()
	{
	if ( confirming() && input_over )
		ask_confirmation();
	}

# A trace's end: confirm what is pending now rather than at the next flush
# tick (the trace's clock stops with it). logs.zeek's handler, at a higher
# priority, has published it already.
event Pcap::file_done(path: string)
	{
	if ( ! cluster_ws || ! enabled )
		return;

	input_over = T;
	ask_confirmation();
	}

# After main.zeek (enabled, this_node), after a ZeroMQ backend's
# Cluster::init (priority 10), before bridge.zeek (priority 0).
event zeek_init() &priority=5
	{
	cluster_ws = Cluster::is_enabled() && transport == TRANSPORT_WEBSOCKET;

	if ( ! cluster_ws )
		return;

	if ( Cluster::backend == Cluster::CLUSTER_BACKEND_BROKER && ! websocket_listener() )
		bridge_ready = bridge_ready_broker;

@ifdef ( Cluster::Backend::ZeroMQ::subscription )
	if ( Cluster::backend == Cluster::CLUSTER_BACKEND_ZEROMQ )
		bridge_ready = bridge_ready_zeromq;
@else
	if ( Cluster::backend == Cluster::CLUSTER_BACKEND_ZEROMQ )
		Reporter::warning("RedisBridge: the ZeroMQ backend was loaded after the package: a node cannot see the bridge's subscription and may lose its first batch after the bridge connects; load frameworks/cluster/backend/zeromq before zeek-redis-bridge");
@endif

	if ( ! websocket_listener() )
		subscribe_topic(cluster_topic);

	if ( ! confirming() )
		return;

	# The trailing slash keeps node "a" from receiving the answers of
	# node "ab".
	confirm_reply_topic = fmt("zeek/redis/confirmed/%s/", this_node);
	subscribe_topic(confirm_reply_topic);
	schedule confirm_interval { RedisBridge::confirm_tick() };
	}

@endif
