##! Peering with the bridge. Every forwarding node peers with the bridge on
##! its own (:zeek:see:`Broker::peer`, retried every
##! :zeek:see:`RedisBridge::retry_interval`). On each new peering the schemas
##! of all known streams are sent again (the bridge may have restarted) and
##! the backlog follows.
##!
##! When reading a trace (see :zeek:see:`RedisBridge::wait_for_bridge`),
##! packet processing is suspended in zeek_init and continued once the
##! bridge is peered or :zeek:see:`RedisBridge::wait_timeout` has passed.
##! Without this, Zeek would read the whole trace and exit before the
##! peering is up. On a node that inserts live intel (``intel.zeek``) the
##! hold lasts past the peering until the bridge's end-of-replay marker
##! (:zeek:see:`RedisBridge::intel_replay_done`), at most
##! :zeek:see:`RedisBridge::intel_replay_timeout`, so that the replayed
##! indicators are in the Intel framework before the first packet.

@load ./main
@load ./logs

module RedisBridge;

# The peering keeps Broker counted as an I/O source
# (Broker::peer_counts_as_iosource, default T), so Zeek's main loop runs on
# after the input is done and the bridge's answers still arrive; drain.zeek
# ends the run.

# Whether this script suspended packet processing and has yet to continue it.
global holding = F;

# Wall clock time at which to stop holding.
global hold_deadline: time;

global wait_check: event();

# --- Holding for the intel replay (set by intel.zeek) ---
# How long to go on holding after the peering, for the bridge's
# end-of-replay marker; 0secs: continue at the peering.
global replay_hold = 0secs;
# Whether the end-of-replay marker has arrived.
global replay_done = F;
# --- end ---

function is_bridge(ep: Broker::EndpointInfo): bool
	{
	# With TRANSPORT_WEBSOCKET no Broker peer is the bridge (a cluster's
	# own peers may have any port).
	return transport == TRANSPORT_BROKER && ep?$network && ep$network$bound_port == bridge_port;
	}

# --- Holding for the cluster's logger ---
# A cluster node reading a trace also holds until it is connected to the
# node that writes its logs (a logger, or the manager acting as one):
# records logged before that reach the bridge but never the cluster's log
# files (seen with Zeek 8.0.10: a worker restarted on a trace).
global log_destination_up = T;
# stop_holding() was called while the log destination was not up yet.
global release_pending = F;

function is_log_destination(name: string): bool
	{
	if ( name !in Cluster::nodes )
		return F;

	local nt = Cluster::nodes[name]$node_type;
	return nt == Cluster::LOGGER || (Cluster::manager_is_logger && nt == Cluster::MANAGER);
	}
# --- end ---

function stop_holding()
	{
	if ( ! holding )
		return;

	if ( ! log_destination_up )
		{
		release_pending = T;
		return;
		}

	holding = F;
	# A flush timer started while processing was suspended may be far
	# ahead of the time of the packets to come.
	restart_ticks();
	continue_processing();
	}

function check_deadline()
	{
	if ( ! holding || current_time() < hold_deadline )
		return;

	if ( bridge_up )
		# Holding for the intel replay (replay_hold).
		Reporter::info(fmt("RedisBridge: no end of the intel replay from the bridge after %s, continuing",
		                   replay_hold));
	else if ( transport == TRANSPORT_BROKER )
		Reporter::info(fmt("RedisBridge: bridge %s:%s not peered after %s, continuing without it",
		                   bridge_host, bridge_port, wait_timeout));
	else
		Reporter::info(fmt("RedisBridge: the bridge not up after %s (WebSocket transport), continuing without it; records wait for it",
		                   wait_timeout));
	log_destination_up = T;
	stop_holding();
	}

# Runs while holding, once a second, as long as Zeek's timers run. While a
# trace is suspended they need not (Zeek 6.0 and later stop them); then the
# Broker::error handler below notices the deadline.
event wait_check()
	{
	check_deadline();

	if ( holding )
		schedule 1sec { RedisBridge::wait_check() };
	}

event zeek_init()
	{
	if ( ! enabled )
		return;

	# With TRANSPORT_WEBSOCKET the bridge connects to us (websocket.zeek).
	if ( transport == TRANSPORT_BROKER )
		Broker::peer(bridge_host, bridge_port, retry_interval);

	if ( wait_for_bridge == WAIT_ALWAYS ||
	     (wait_for_bridge == WAIT_OFFLINE && reading_traces()) )
		{
		holding = T;
		hold_deadline = current_time() + wait_timeout;
		log_destination_up = ! Cluster::is_enabled() || is_log_destination(Cluster::node);
		suspend_processing();
		schedule 1sec { RedisBridge::wait_check() };
		}
	}

event Broker::peer_added(endpoint: Broker::EndpointInfo, msg: string)
	{
	if ( ! enabled || ! is_bridge(endpoint) )
		return;

	bridge_added();

	# --- Holding for the intel replay ---
	if ( holding && replay_hold > 0secs && ! replay_done )
		{
		hold_deadline = current_time() + replay_hold;
		return;
		}
	# --- end ---

	stop_holding();
	}

event Broker::peer_lost(endpoint: Broker::EndpointInfo, msg: string)
	{
	if ( enabled && is_bridge(endpoint) )
		bridge_gone();
	}

event Broker::peer_removed(endpoint: Broker::EndpointInfo, msg: string)
	{
	if ( enabled && is_bridge(endpoint) )
		bridge_gone();
	}

event Cluster::node_up(name: string, id: string)
	{
	if ( log_destination_up || ! is_log_destination(name) )
		return;

	log_destination_up = T;

	if ( release_pending )
		stop_holding();
	}

# Broker reports every failed attempt to connect to the bridge as an error.
event Broker::error(code: Broker::ErrorCode, msg: string)
	{
	check_deadline();
	}
