##! The WebSocket transport: instead of peering with the bridge over Broker,
##! the node listens on Zeek's WebSocket API and the bridge connects to it
##! as a client (``--transport.kind websocket --websocket.url
##! ws://host:port/v1/messages/json``). This is the way to reach the
##! bridge from a ZeroMQ cluster (the default from Zeek 8.1) and from any
##! Zeek 5.0 or later that the bridge was not built against.
##!
##! Listening uses ``Cluster::listen_websocket`` on Zeek 7.2 and later and
##! ``Broker::listen_websocket`` on 5.0 to 7.1; Zeek before 5.0 has no
##! WebSocket API (there this file only declares the options). A WebSocket
##! client that connects counts as the bridge being peered (schemas sent
##! again, backlog published, a held trace continued).

@load ./main
@load ./logs

module RedisBridge;

export {
	## How the bridge and this node reach each other.
	type Transport: enum {
		## The node peers with the bridge's Broker endpoint
		## (:zeek:see:`RedisBridge::bridge_host`,
		## :zeek:see:`RedisBridge::bridge_port`).
		TRANSPORT_BROKER,
		## The node listens on Zeek's WebSocket API
		## (:zeek:see:`RedisBridge::websocket_addr`,
		## :zeek:see:`RedisBridge::websocket_port`) and the bridge
		## connects to it. Zeek 5.0 and later.
		TRANSPORT_WEBSOCKET,
	};

	## The transport to the bridge; the bridge's ``--transport.kind``
	## must match.
	const transport = TRANSPORT_BROKER &redef;

	## Address the WebSocket API listens on (TRANSPORT_WEBSOCKET).
	const websocket_addr = 127.0.0.1 &redef;

	## Port the WebSocket API listens on (TRANSPORT_WEBSOCKET).
	const websocket_port = 27759/tcp &redef;

	## On a cluster (TRANSPORT_WEBSOCKET): the one node whose WebSocket
	## API the bridge connects to; it tells the other nodes whether the
	## bridge is connected (``cluster.zeek``). Empty: the manager. On a
	## ZeroMQ cluster a WebSocket client's subscriptions go to the
	## cluster's XPUB/XSUB proxy, so this one connection receives what
	## every node publishes.
	const websocket_node = "" &redef;

	## Whether the package starts the WebSocket API itself on the
	## listening node. F when something else starts it on
	## :zeek:see:`RedisBridge::websocket_addr` /
	## :zeek:see:`RedisBridge::websocket_port` already (zeekctl's
	## ``UseWebSocket``): a second listen on the same port fails.
	const websocket_listen = T &redef;

	## Zeek 7.2 and later, TRANSPORT_WEBSOCKET, on the node the bridge
	## connects to: the file where the package writes the records Zeek
	## logs after its main loop has ended (connections still open at the
	## end of a trace, the last ``stats``, ``capture_loss``,
	## ``telemetry`` and ``reporter`` lines, whatever ``net_done`` and
	## ``zeek_done`` handlers log). Zeek hands messages to a WebSocket
	## client only from its main loop, so published then they would be
	## lost (``docs/protocol.md``, "End of a run"). One JSON object per
	## line, ``{"path":<log path>,"record":<to_json of the record>}``
	## (the record's text as protocol 2 sends it), appended; relative
	## to Zeek's working directory, like its logs. A reporter warning
	## gives the count and the file. Empty: the records are dropped,
	## and the warning counts them.
	const unsent_file = "redis-bridge-unsent.json" &redef;
}

# A built-in function cannot initialise a global on Zeek 3.2: set here.
event zeek_init() &priority=1000
	{
@if ( Version::number >= 70100 )
	if ( transport == TRANSPORT_WEBSOCKET )
		{
		publish_event = Cluster::publish;
		return;
		}
@endif
	publish_event = Broker::publish;
	}

# Subscribes this node to topic prefix *t* where the bridge's events arrive:
# like publish_event, with Cluster::subscribe for the WebSocket transport
# on 7.1 and later, else Broker::subscribe.
function subscribe_topic(t: string): bool
	{
@if ( Version::number >= 70100 )
	if ( transport == TRANSPORT_WEBSOCKET )
		return Cluster::subscribe(t);
@endif
	return Broker::subscribe(t);
	}

# Whether this node is the one the bridge connects to: a standalone Zeek,
# or the cluster node named by websocket_node (the manager by default).
function websocket_listener(): bool
	{
	if ( ! Cluster::is_enabled() )
		return T;

	if ( websocket_node != "" )
		return Cluster::node == websocket_node;

	return Cluster::local_node_type() == Cluster::MANAGER;
	}

# WebSocket clients connected to this node right now (each counts as the
# bridge; the bridge is up while there is one).
global websocket_clients = 0;

# Defined in bridge.zeek, which is loaded after this file.
global stop_holding: function();

# Takes the bridge for up: sends schemas and backlog, ends a hold, and runs
# bridge_taken_up (cluster.zeek: a node whose trace ended meanwhile asks at
# once for the confirmation of what it just sent).
# cluster.zeek replaces it on a ZeroMQ cluster, where it waits until this
# node's own XPUB socket has seen the bridge's subscription (a node drops
# what it publishes before that: ZeroMQ's slow joiner).
global bridge_taken_up: hook();

function bridge_ready_direct()
	{
	bridge_added();
	stop_holding();
	hook bridge_taken_up();
	}

global bridge_ready: function() = bridge_ready_direct;

# Called when the first WebSocket client came and when the last one went;
# cluster.zeek tells the other nodes of a cluster.
global websocket_bridge_changed: hook(up: bool);

# Zeek's own JSON text of *v* (a record or a vector of records) as protocol
# 2 sends it: its doubles, times and (from 7.1 on, with interval_as_double)
# intervals have the log writer's digits. /^-/ matches no field name, so
# to_json keeps names as they are (its default drops a leading "_").
function protocol2_text(v: any): string
	{
@if ( Version::number >= 70100 )
	return to_json(v, T, /^-/, T);
@else
	return to_json(v, T, /^-/);
@endif
	}

@if ( Version::number >= 50000 )
# Protocol 2: the records as typed values (exact for every type but double
# and time over this transport) and, in one built-in call per batch, their
# protocol2_text.
function send_batch_v2(path: string, recs: vector of any): bool
	{
@if ( Version::number >= 70100 )
	return Cluster::publish(topic, log_batch2, this_node, path, recs, protocol2_text(recs));
@else
	return Broker::publish(topic, log_batch2, this_node, path, recs, protocol2_text(recs));
@endif
	}

event zeek_init() &priority=1000
	{
	if ( transport != TRANSPORT_WEBSOCKET )
		return;

	wire_version = protocol_version_exact;
	send_batch = send_batch_v2;
	}
@endif


@if ( Version::number >= 50000 )
event zeek_init() &priority=5
	{
	if ( transport != TRANSPORT_WEBSOCKET || ! websocket_listen || ! websocket_listener() )
		return;

	# A standalone Zeek that forwards nothing has no use for the bridge; a
	# cluster node listens for the other nodes too (and receives intel).
	if ( ! enabled && ! Cluster::is_enabled() )
		return;

@if ( Version::number >= 70200 )
	Cluster::listen_websocket([$listen_addr=websocket_addr, $listen_port=websocket_port]);
@else
	Broker::listen_websocket(cat(websocket_addr), websocket_port);
@endif
	}
@endif

@if ( Version::number >= 70200 )
event Cluster::websocket_client_added(endpoint: Cluster::EndpointInfo, subscriptions: string_vec)
	{
	if ( transport != TRANSPORT_WEBSOCKET || ! websocket_listener() )
		return;

	++websocket_clients;

	if ( websocket_clients > 1 )
		return;

	if ( enabled )
		bridge_ready();

	hook websocket_bridge_changed(T);
	}

event Cluster::websocket_client_lost(endpoint: Cluster::EndpointInfo, code: count, reason: string)
	{
	if ( transport != TRANSPORT_WEBSOCKET || ! websocket_listener() || websocket_clients == 0 )
		return;

	--websocket_clients;

	if ( websocket_clients > 0 )
		return;

	hook websocket_bridge_changed(F);

	if ( enabled )
		bridge_gone();
	}
@endif

# Records written to unsent_file, and records dropped because it is empty.
global unsent_records = 0;
global unsent_dropped = 0;
global unsent_handle: file;
global unsent_opened = F;

# logs.zeek calls this for every batch once spilling is set (Zeek 7.2+
# only): one line per record, in the order they were logged.
function spill(path: string, recs: vector of any)
	{
	if ( unsent_file == "" )
		{
		unsent_dropped += |recs|;
		return;
		}

	if ( ! unsent_opened )
		{
		unsent_handle = open_for_append(unsent_file);
		unsent_opened = T;
		}

	local p = to_json(path);

	for ( i in recs )
		write_file(unsent_handle, fmt("{\"path\":%s,\"record\":%s}\n", p,
		                              protocol2_text(recs[i])));

	unsent_records += |recs|;
	}

@if ( Version::number >= 70200 )
# Zeek 7.2 to 8.0 (read in Zeek's source, tag v8.0.10) publish to a
# WebSocket client through a per-client backend whose messages are moved to
# the client's send thread by an I/O source of the main loop
# (src/broker/WebSocketShim.cc: WebSocketShim::Process polls the client's
# Broker hub; a ZeroMQ cluster's client backend likewise through its
# OnLoopProcess). After run_loop() (src/RunState.cc) Zeek logs the open
# connections (done_with_network: net_done, session_mgr->Drain(), in
# src/zeek-setup.cc) and raises zeek_done (terminate_zeek), and
# cluster::manager->Terminate() then closes the clients and destroys their
# hubs without polling them. So from the end of the main loop on, the
# listening node spills instead of publishing.
function start_spilling()
	{
	if ( spilling || ! enabled || transport != TRANSPORT_WEBSOCKET || ! websocket_listener() )
		return;

	spilling = T;
	flush_all();
	}

# drain.zeek called terminate(): nothing published after this reaches the
# bridge's confirmation, and the loop ends with the events queued now.
hook main_loop_ending()
	{
	start_spilling();
	}

# The main loop has ended (the first event of done_with_network, also after
# SIGTERM or the end of a trace the package did not end itself).
event net_done(t: time) &priority=1000
	{
	start_spilling();
	}

# After logs.zeek's zeek_done handler (priority -1000), which spilled what
# was pending. The warning itself is logged after it, so reporter.log's
# line for it lands in the file too.
event zeek_done() &priority=-1001
	{
	if ( unsent_records > 0 )
		Reporter::warning(fmt("RedisBridge: %d records logged after Zeek's main loop ended written to %s, not sent (Zeek hands messages to a WebSocket client only from its main loop)",
		                      unsent_records, unsent_file));

	if ( unsent_dropped > 0 )
		Reporter::warning(fmt("RedisBridge: %d records logged after Zeek's main loop ended dropped (RedisBridge::unsent_file is empty; Zeek hands messages to a WebSocket client only from its main loop)",
		                      unsent_dropped));
	}
@endif
