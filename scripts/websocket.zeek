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
}

@if ( Version::number >= 50000 )
# Protocol 2: the records as typed values (exact for every type but double
# and time over this transport) and, in one built-in call per batch, Zeek's
# own JSON text of them, whose doubles, times and (from 7.1 on, with
# interval_as_double) intervals have the log writer's digits. /^-/ matches
# no field name, so to_json keeps names as they are (its default drops a
# leading "_").
function send_batch_v2(path: string, recs: vector of any): bool
	{
@if ( Version::number >= 70100 )
	return Cluster::publish(topic, log_batch2, this_node, path, recs,
	                        to_json(recs, T, /^-/, T));
@else
	return Broker::publish(topic, log_batch2, this_node, path, recs, to_json(recs, T, /^-/));
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

# Defined in bridge.zeek, which is loaded after this file.
global stop_holding: function();

@if ( Version::number >= 50000 )
event zeek_init() &priority=5
	{
	if ( ! enabled || transport != TRANSPORT_WEBSOCKET )
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
	if ( ! enabled || transport != TRANSPORT_WEBSOCKET )
		return;

	bridge_added();
	stop_holding();
	}

event Cluster::websocket_client_lost(endpoint: Cluster::EndpointInfo, code: count, reason: string)
	{
	if ( enabled && transport == TRANSPORT_WEBSOCKET )
		bridge_gone();
	}
@endif
