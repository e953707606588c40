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
	return ep?$network && ep$network$bound_port == bridge_port;
	}

function stop_holding()
	{
	if ( ! holding )
		return;

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
	else
		Reporter::info(fmt("RedisBridge: bridge %s:%s not peered after %s, continuing without it",
		                   bridge_host, bridge_port, wait_timeout));
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

# Broker reports every failed attempt to connect to the bridge as an error.
event Broker::error(code: Broker::ErrorCode, msg: string)
	{
	check_deadline();
	}
