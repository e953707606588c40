# Test input for tests/zeek/test_zeek_cluster.py, loaded on every node of the test cluster
# after the package:
#
# * On a worker, holds the trace until the manager has handed it `worker_intel` indicators
#   (the Intel framework's indicator_inserted hook runs for each one the worker puts into its
#   minimal store, whether it came as the manager's whole store on Cluster::node_up or one by
#   one through the proxy). So a worker's packets are looked at only once the intel published
#   on Redis is in, and the match does not depend on who is faster.
# * On the manager, writes `ticks` records to the log cluster_tick, one every
#   `tick_interval` (wall clock; the manager reads no trace): records that keep flowing while
#   the test restarts the bridge.
@load base/frameworks/cluster
@load base/frameworks/intel

module ClusterTest;

export {
	redef enum Log::ID += { LOG };

	type Tick: record {
		n: count &log;
		node: string &log;
	};

	## Indicators a worker waits for before it reads its trace; 0: no wait.
	const worker_intel = 0 &redef;

	## Records the manager writes to cluster_tick; 0: none.
	const ticks = 0 &redef;

	## Time between two ticks.
	const tick_interval = 100msec &redef;
}

global holding = F;
global inserted: set[string, Intel::Type];
global tick: event(n: count);

hook Intel::indicator_inserted(indicator: string, indicator_type: Intel::Type)
	{
	add inserted[indicator, indicator_type];

	if ( holding && |inserted| >= worker_intel )
		{
		holding = F;
		continue_processing();
		}
	}

event tick(n: count)
	{
	Log::write(LOG, [$n=n, $node=Cluster::node]);

	if ( n < ticks )
		schedule tick_interval { tick(n + 1) };
	}

event zeek_init()
	{
	Log::create_stream(LOG, [$columns=Tick, $path="cluster_tick"]);

	if ( Cluster::local_node_type() == Cluster::WORKER && worker_intel > 0 )
		{
		holding = T;
		suspend_processing();
		}

	if ( Cluster::local_node_type() == Cluster::MANAGER && ticks > 0 )
		schedule tick_interval { tick(1) };
	}
