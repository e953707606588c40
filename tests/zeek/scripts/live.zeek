# Test input: a "live" Zeek (exit_only_after_terminate) that logs in zeek_init, on a timer
# and in zeek_done, and is stopped with SIGTERM.
@load base/frameworks/logging

redef exit_only_after_terminate = T;

module LiveTest;

export {
	redef enum Log::ID += { LOG };
	type Info: record { n: count &log; what: string &log; };
}

global tick: event(n: count);
global started = F;

event tick(n: count)
	{
	Log::write(LOG, [$n=n, $what="tick"]);
	schedule 20msec { tick(n + 1) };
	}

# Streams are created before the package wraps filters (priority 4), as Zeek's own are (5).
event zeek_init() &priority=10
	{
	Log::create_stream(LOG, [$columns=Info, $path="livetest"]);
	}

event zeek_init()
	{
	Log::write(LOG, [$n=0, $what="init"]);
	schedule 20msec { tick(1) };
	}

event Broker::peer_added(endpoint: Broker::EndpointInfo, msg: string)
	{
	print "peered";
	}

event zeek_done()
	{
	Log::write(LOG, [$n=999999, $what="done"]);
	}
