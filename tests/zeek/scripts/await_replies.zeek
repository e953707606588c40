# Test input for the first-seen-user-agent example in a `zeek -r` run, whose replies come
# after the trace is read: keeps Zeek running after the trace (exit_only_after_terminate)
# until every request of the example has its reply, at most 20 s, then terminates. Prints
# each reply, and "timeout" if some did not come.
#
# The end of the trace: once no packet source is left, Zeek 3.2 sets network time to the wall
# clock, which the trace's packets (2011) are far behind.
@load base/protocols/http

redef exit_only_after_terminate = T;

# The client of wikipedia.pcap is local, its servers are not.
redef Site::local_nets += { 141.142.0.0/16 };

global requests = 0;
global replies = 0;
global started: time;
global check: event();

event zeek_init()
	{
	started = current_time();
	schedule 100msec { check() };
	}

function trace_done(): bool
	{
	return requests > 0 && network_time() >= started;
	}

event check()
	{
	if ( trace_done() && replies >= requests )
		terminate();
	else if ( current_time() - started > 20sec )
		{
		print "timeout";
		terminate();
		}
	else
		schedule 100msec { check() };
	}

# After the example's handler, on the records for which it sends a request (same test).
event HTTP::log_http(rec: HTTP::Info) &priority=-10
	{
	if ( rec?$user_agent && rec$user_agent != "" &&
	     Site::is_local_addr(rec$id$orig_h) && ! Site::is_local_addr(rec$id$resp_h) )
		++requests;
	}

event RedisBridge::reply(id: count, r: RedisBridge::Reply) &priority=-10
	{
	print fmt("reply %d %s", id, r$kind);
	++replies;

	if ( trace_done() && replies >= requests )
		terminate();
	}
