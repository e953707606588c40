# Test input: a script-only Zeek that, once peered with the bridge, stores a value, reads it
# back with a get and sends one command off the allowlist (FLUSHALL), then prints every reply
# and stops after the third (or after 20 s, printing "timeout").
@load base/frameworks/broker

redef exit_only_after_terminate = T;

global sent = F;
global replies = 0;
global give_up: event();

event zeek_init()
	{
	schedule 20sec { give_up() };
	}

event give_up()
	{
	# Zeek runs every pending timer when it shuts down.
	if ( replies == 3 )
		return;

	print "timeout";
	terminate();
	}

event Broker::peer_added(endpoint: Broker::EndpointInfo, msg: string) &priority=-10
	{
	if ( sent || ! endpoint?$network || endpoint$network$bound_port != RedisBridge::bridge_port )
		return;

	sent = T;
	# Requests run in order on the bridge's commands connection: the get sees the put.
	RedisBridge::put("zrb-test:get", "value\x00with NUL", 0secs, RedisBridge::SET_ALWAYS, 1);
	RedisBridge::get("zrb-test:get", 2);
	RedisBridge::command(vector("FLUSHALL"), 3);
	}

event RedisBridge::reply(id: count, r: RedisBridge::Reply)
	{
	print fmt("reply %d %s %s", id, r$kind, r?$str ? r$str : "-");
	++replies;

	if ( replies == 3 )
		terminate();
	}
