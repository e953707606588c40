# The Zeek side of test_websocket_zeek.py: listens on the WebSocket API,
# publishes one log record the package's way (docs/protocol.md) once the
# bridge has subscribed, prints the intel the bridge sends back, exits.
# Every wait is bounded (RedisBridgeTest::deadline).

@load base/misc/version

module RedisBridgeTest;

export {
	const port_number = 0 &redef;
	const out_file = "intel.out" &redef;
	const deadline = 60sec &redef;
}

module RedisBridge;

export {
	type Column: record {
		name: string;
		ztype: string;
		index: index_vec;
	};
	global log_schema: event(version: count, zeek_version: count, node: string,
	                         path: string, columns: vector of Column);
	global log_batch: event(node: string, path: string, records: vector of any);
	global intel_add_addr: event(indicator: addr, source: string, desc: string,
	                             url: string, expire: interval);
	# The end of the intel replay the bridge sends on every new peering.
	global intel_replay_done: event(indicators: count);
}

module RedisBridgeTest;

redef exit_only_after_terminate = T;

type Rec: record {
	ts: time;
	uid: string;
	h: addr;
	p: port;
	n: count;
	d: interval;
	tags: set[string];
};

global give_up: event();

event zeek_init()
	{
	Cluster::subscribe("zeek/redis/intel");
	Cluster::listen_websocket([$listen_addr=127.0.0.1, $listen_port=count_to_port(port_number, tcp)]);
	schedule deadline { give_up() };
	}

event give_up()
	{
	print "deadline reached";
	terminate();
	}

event Cluster::websocket_client_added(endpoint: Cluster::EndpointInfo, subscriptions: string_vec)
	{
	local cols = vector(
		RedisBridge::Column($name="ts", $ztype="time", $index=vector(0)),
		RedisBridge::Column($name="uid", $ztype="string", $index=vector(1)),
		RedisBridge::Column($name="h", $ztype="addr", $index=vector(2)),
		RedisBridge::Column($name="p", $ztype="port", $index=vector(3)),
		RedisBridge::Column($name="n", $ztype="count", $index=vector(4)),
		RedisBridge::Column($name="d", $ztype="interval", $index=vector(5)),
		RedisBridge::Column($name="tags", $ztype="set[string]", $index=vector(6)));
	Cluster::publish("zeek/redis/logs", RedisBridge::log_schema, 1, Version::number, "zeek",
	                 "wstest", cols);
	# A time of whole milliseconds: the WebSocket API cuts times to them
	# (docs/protocol.md, "Exactness over WebSocket").
	local recs: vector of any = vector();
	recs += Rec($ts=double_to_time(1700000000.5), $uid="CwsT1", $h=[2001:db8::1],
	            $p=443/tcp, $n=42, $d=1500msec, $tags=set("a"));
	Cluster::publish("zeek/redis/logs", RedisBridge::log_batch, "zeek", "wstest", recs);
	}

event RedisBridge::intel_add_addr(indicator: addr, source: string, desc: string, url: string,
                                  expire: interval)
	{
	local f = open(out_file);
	print f, fmt("%s %s %s", indicator, source, desc);
	close(f);
	terminate();
	}
