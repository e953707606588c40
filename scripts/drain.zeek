##! The end of a run. The peering with the bridge keeps Zeek's main loop
##! running after its input is done (Broker counts as an I/O source), so a
##! standalone Zeek ends the run itself (see
##! :zeek:see:`RedisBridge::terminate_when_input_done`): when the trace of
##! ``zeek -r`` is read (:zeek:see:`Pcap::file_done`), or right after
##! ``zeek_init`` when there is no packet source at all, it publishes what is
##! pending, sends :zeek:see:`RedisBridge::drain` and calls
##! :zeek:see:`terminate` once :zeek:see:`RedisBridge::drained` confirms
##! every record published so far (asking again if more were published
##! meanwhile). Without the bridge, or without its answer, it terminates
##! after :zeek:see:`RedisBridge::drain_timeout` and says how many records
##! were not confirmed. What Zeek logs while it terminates is handled in
##! ``zeek_done`` (logs.zeek); over the WebSocket transport it cannot be
##! sent any more and goes to :zeek:see:`RedisBridge::unsent_file`
##! (websocket.zeek, told by the hook main_loop_ending after terminate()).
##!
##! The deadline is wall clock time, checked every 100 ms by a timer and on
##! every Broker event this file handles. Zeek 3.2 runs timers after a trace
##! (network time follows the wall clock once the trace is done); Zeek 6.0
##! and later do not, so there the deadline is noticed on the bridge's
##! answer (the bridge answers when the request's wait passes at the
##! latest) or, while the bridge is not peered, on Broker's error for each
##! failed attempt (every :zeek:see:`RedisBridge::retry_interval`).

@load ./main
@load ./logs
@load ./bridge

module RedisBridge;

# Whether the input is done and the run waits for the bridge.
global ending = F;

# Wall clock time at which the input was done, and at which to give up.
global end_started: time;
global end_deadline: time;

# The last drain request: its number, and published_records when it went
# out. Whether its answer is still awaited.
global drain_seq = 0;
global drain_covers = 0;
global drain_waiting = F;

# Records the bridge confirmed (published_records of an answered request).
global confirmed_records = 0;

# Where this node receives drained (set in zeek_init).
global drained_topic = "";

global end_check: event();

function may_end_run(): bool
	{
	return enabled && terminate_when_input_done && ! exit_only_after_terminate &&
	       Cluster::local_node_type() == Cluster::NONE;
	}

function end_run(msg: string)
	{
	ending = F;
	end_accounted = T;
	accounted_records = published_records;

	if ( msg != "" )
		Reporter::info(msg);

	terminate();
	hook main_loop_ending();
	}

function ask_bridge()
	{
	flush_all();
	local wait = end_deadline - current_time();

	if ( wait < 0secs )
		wait = 0secs;

	++drain_seq;
	drain_covers = published_records;
	drain_waiting = T;
	publish_event(topic, drain, drain_seq, drained_topic, wait);
	}

function check_end()
	{
	if ( ! ending )
		return;

	if ( current_time() >= end_deadline )
		{
		local unsent = pending_records() + dropped;
		end_run(fmt("RedisBridge: %d records not confirmed by the bridge after %s (%d published, not answered; %d not sent: bridge %s)",
		            published_records - confirmed_records + unsent, drain_timeout,
		            published_records - confirmed_records, unsent,
		            bridge_up ? "peered" : "not peered"));
		return;
		}

	if ( bridge_up && ! drain_waiting )
		ask_bridge();
	}

# The input is done: from now on the run waits for the bridge.
function input_done()
	{
	if ( ending || ! may_end_run() )
		return;

	ending = T;
	end_started = current_time();
	end_deadline = end_started + drain_timeout;
	check_end();

	if ( ending )
		schedule 100msec { RedisBridge::end_check() };
	}

event end_check()
	{
	check_end();

	if ( ending )
		schedule 100msec { RedisBridge::end_check() };
	}

event drained(seq: count, written: count, spooled: count, unwritten: count)
	{
	if ( ! ending || ! drain_waiting || seq != drain_seq )
		return;

	drain_waiting = F;

	if ( unwritten > 0 )
		{
		# The bridge's wait (our deadline) passed first.
		end_deadline = current_time();
		check_end();
		return;
		}

	confirmed_records = drain_covers;

	if ( spooled > 0 )
		Reporter::info(fmt("RedisBridge: the bridge holds %d records in its disk spool (Redis away)", spooled));

	# Everything published is confirmed and nothing waits: done. Else ask
	# again for what was published since.
	if ( published_records == confirmed_records && pending_records() == 0 )
		end_run(fmt("RedisBridge: the bridge confirmed %d records (%d drain requests), %.3f s after the input was done",
		            confirmed_records, drain_seq,
		            interval_to_double(current_time() - end_started)));
	else
		check_end();
	}

event zeek_init() &priority=5
	{
	if ( ! may_end_run() )
		return;

	# Before bridge.zeek peers (priority 0), so the subscription goes out
	# with the peering. The trailing slash keeps node "a" from receiving
	# the answers of node "ab".
	drained_topic = fmt("zeek/redis/drained/%s/", this_node);
	subscribe_topic(drained_topic);
	}

global script_only_check: event();

# After every other zeek_init handler, queued behind the events they raised:
# a Zeek with no packet source at all is done with its input then (it would
# have exited without the peering).
event zeek_init() &priority=-1000
	{
	if ( ! reading_traces() && ! reading_live_traffic() )
		event RedisBridge::script_only_check();
	}

event script_only_check()
	{
	input_done();
	}

event Pcap::file_done(path: string)
	{
	input_done();
	}

# After bridge.zeek's handler, which sent the schemas and the backlog.
event Broker::peer_added(endpoint: Broker::EndpointInfo, msg: string) &priority=-10
	{
	check_end();
	}

event Broker::peer_lost(endpoint: Broker::EndpointInfo, msg: string) &priority=-10
	{
	if ( is_bridge(endpoint) )
		drain_waiting = F;

	check_end();
	}

event Broker::error(code: Broker::ErrorCode, msg: string) &priority=-10
	{
	check_end();
	}
