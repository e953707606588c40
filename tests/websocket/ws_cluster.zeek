# Every node of test_websocket_cluster.py's cluster loads this (after the
# test's backend.zeek, which picks the cluster backend, and the package):
# the package on the WebSocket transport, and what the test watches on some
# nodes.
#  - the proxy writes RedisBridgeTest::ticks records of its own stream
#    "zrbtick", one every RedisBridgeTest::tick_every, numbered 1..n, from
#    when the test creates the file start-ticks in its folder; meanwhile the
#    test kills and restarts the bridge;
#  - a worker whose Cluster::node is RedisBridgeTest::command_node asks Redis
#    for a key after its trace and writes the reply to reply.out.

@load frameworks/intel/seen

module RedisBridgeTest;

export {
	const ticks = 0 &redef;
	const tick_every = 20msec &redef;
	const command_node = "" &redef;
	const command_key = "zrb-cluster:key" &redef;

	redef enum Log::ID += { TICK_LOG };

	type Tick: record {
		n: count &log;
		node: string &log;
	};
}

redef exit_only_after_terminate = T;
# The logger's files are compared at the end: no rotation (a cluster logger
# rotates hourly and at shutdown).
redef Log::default_rotation_interval = 0secs;
redef LogAscii::use_json = T;
redef RedisBridge::transport = RedisBridge::TRANSPORT_WEBSOCKET;

global tick: event(n: count);
global wait_for_start: event();

event zeek_init()
	{
	Log::create_stream(TICK_LOG, [$columns=Tick, $path="zrbtick"]);

	if ( Cluster::local_node_type() == Cluster::PROXY && ticks > 0 )
		schedule 100msec { RedisBridgeTest::wait_for_start() };
	}

event wait_for_start()
	{
	if ( file_size("start-ticks") >= 0.0 )
		event RedisBridgeTest::tick(1);
	else
		schedule 100msec { RedisBridgeTest::wait_for_start() };
	}

event tick(n: count)
	{
	Log::write(TICK_LOG, Tick($n=n, $node=Cluster::node));

	if ( n < ticks )
		schedule tick_every { RedisBridgeTest::tick(n + 1) };
	}

global command_id = 0;

event Pcap::file_done(path: string)
	{
	# The test waits for this on the worker that peers with the manager late.
	Reporter::info("RedisBridgeTest: trace done");

	if ( Cluster::node != command_node )
		return;

	RedisBridge::put(command_key, "from " + Cluster::node);
	command_id = RedisBridge::next_request_id();
	RedisBridge::get(command_key, command_id);
	}

event RedisBridge::reply(id: count, r: RedisBridge::Reply)
	{
	if ( id != command_id )
		return;

	local f = open("reply.out");
	print f, fmt("%s %s", r$kind, r?$str ? r$str : "");
	close(f);
	}
