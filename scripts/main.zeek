##! Forwards Zeek's log records to the zeek-redis-bridge daemon, which writes
##! them to Redis as JSON lines identical to those of Zeek's JSON log writer.
##!
##! This file is the package's interface: every option, the wire types and
##! the events of the bridge protocol (protocol version 1, see
##! ``docs/protocol.md`` in the package repository). The work is done by the
##! other scripts loaded from ``__load__.zeek``:
##!
##! * ``schema.zeek``: the columns of a stream, computed once per stream.
##! * ``logs.zeek``: per-stream batches, publishing, the flush timer.
##! * ``intercept.zeek``: hands every log write to :zeek:see:`RedisBridge::forward`
##!   (a stream policy hook on Zeek 4.1 and later, a filter before that).
##! * ``bridge.zeek``: peering with the bridge and, for ``zeek -r``, holding
##!   packet processing until the bridge is peered.
##!
##! Works on Zeek 3.2 to 8.0, in normal and in bare mode.

@load base/misc/version
@load base/frameworks/logging
@load base/frameworks/broker
@load base/frameworks/cluster

module RedisBridge;

export {
	## Address of the bridge: where its Broker endpoint listens. Every
	## node that forwards logs peers with it on its own, so in a cluster
	## spread over several hosts this must be an address the workers can
	## reach, not the loopback address.
	const bridge_host = "127.0.0.1" &redef;

	## Port of the bridge's Broker endpoint. A Broker peer with this port
	## is taken to be the bridge.
	const bridge_port = 9999/tcp &redef;

	## How often Broker retries to peer with the bridge when it is not
	## reachable (and after the peering was lost). Broker rounds values
	## below one second up to one second.
	const retry_interval = 2sec &redef;

	## Broker topic that schemas and batches are published on. The
	## bridge subscribes to a prefix of it (``zeek/redis/`` by default).
	option topic = "zeek/redis/logs";

	## Log streams to forward. Empty means every stream (minus
	## :zeek:see:`RedisBridge::exclude_logs`).
	option include_logs: set[Log::ID] = set();

	## Log streams never to forward.
	option exclude_logs: set[Log::ID] = set();

	## Records per :zeek:see:`RedisBridge::log_batch` event. A batch is
	## published as soon as it holds this many records. 50 on Zeek 8.0
	## and later, 100 before. Zeek 8's Broker holds about 1,900 messages
	## for the bridge, decoded, whatever their size (CAF's flow buffers),
	## so a burst costs the bridge that many messages times their size: a
	## million-record burst peaked at 164-181 MiB with 50 and 300-313 MiB
	## with 100, and Zeek 8.0.10's CPU was the same with both. With Zeek
	## 3.2.4 (Broker 1.4) 50 cost Zeek 3-4% more CPU when batches fill
	## and gave the bridge no less memory, so 100 stays there and in the
	## versions in between (not measured). bench/RESULTS.md, "records per
	## batch".
@if ( Version::number >= 80000 )
	option batch_size = 50;
@else
	option batch_size = 100;
@endif

	## Longest time a record waits in a batch that does not fill up: every
	## flush interval all pending records are published. The interval is
	## measured in network time, so for ``zeek -r`` it is trace time.
	## Zero turns the timer off (batches then leave when full and at
	## shutdown).
	option flush_interval = 200msec;

	## Records kept per log stream while the bridge is not peered (before
	## the first peering, or after it was lost). They are published, after
	## the stream's schema, as soon as the bridge is peered again. Records
	## beyond this are dropped and counted in a reporter warning.
	option max_backlog = 10000;

	## When to hold packet processing until the bridge is peered.
	type WaitMode: enum {
		## Never hold; records written before the peering is up wait in
		## the backlog (see :zeek:see:`RedisBridge::max_backlog`).
		WAIT_NEVER,
		## Hold only when reading traces (``zeek -r``). Without holding,
		## Zeek would process the whole trace and exit before the
		## peering is up.
		WAIT_OFFLINE,
		## Hold when reading traces and when reading a live interface.
		WAIT_ALWAYS,
	};

	## Whether to suspend packet processing at start-up until the bridge
	## is peered (with :zeek:id:`suspend_processing` /
	## :zeek:id:`continue_processing`).
	const wait_for_bridge = WAIT_OFFLINE &redef;

	## Longest time to hold packet processing for the bridge, in wall
	## clock time. After it Zeek continues without the bridge (records go
	## to the backlog). The deadline is checked once a second by a timer
	## and on every Broker error, i.e. on every failed connection attempt.
	## While a trace is suspended Zeek's timers need not run (they do not
	## in Zeek 6.0 and later), so for ``zeek -r`` the deadline is noticed
	## at the next failed attempt (every
	## :zeek:see:`RedisBridge::retry_interval`).
	const wait_timeout = 30sec &redef;

	## Whether to forward exactly what each stream's ``default`` filter
	## writes (T, the default): its ``$pred`` (Zeek 3.2) or policy hooks
	## (Zeek 4.0 and later, including the stream's ``$policy``), its
	## ``$include``/``$exclude`` and its ``$path``/``$path_func`` (one
	## Redis key per path Zeek writes). F forwards every write of a stream
	## whatever its filters say, with all ``&log`` fields, under the
	## stream's path. A stream whose ``default`` filter was removed is not
	## forwarded unless this is F. Filters are taken as they stand at the
	## end of ``zeek_init``.
	const honour_filters = T &redef;

	## Longest time, in wall clock time, that the end of a run waits for
	## the bridge. When the input is done (see
	## :zeek:see:`RedisBridge::terminate_when_input_done`): for the
	## peering if it is not up, then for the bridge's
	## :zeek:see:`RedisBridge::drained` answer; after it Zeek terminates
	## and reports how many records the bridge did not confirm. In
	## ``zeek_done`` (records logged while Zeek terminates, SIGTERM): for
	## the peering if records wait in the backlog, and at most 0.5 s after
	## the last records were published, so that Broker sends them (no
	## answer can be awaited there). Zero: no wait.
	const drain_timeout = 2sec &redef;

	## Whether a standalone Zeek (:zeek:see:`Cluster::NONE`) ends the run
	## itself once its input is done: after the trace of ``zeek -r``
	## (:zeek:see:`Pcap::file_done`), or right after ``zeek_init`` when it
	## has no packet source at all (a script-only run). It then publishes
	## what is pending, asks the bridge to confirm that everything it
	## received is written (:zeek:see:`RedisBridge::drain`), and calls
	## :zeek:see:`terminate` on the answer or after
	## :zeek:see:`RedisBridge::drain_timeout`. Needed because the peering
	## with the bridge keeps Zeek's main loop running
	## (``Broker::peer_counts_as_iosource``). Never applies to cluster
	## nodes, to a Zeek reading a live interface, or with
	## :zeek:see:`exit_only_after_terminate` set: those end on a signal or
	## by their own scripts. With F, ``zeek -r`` does not exit by itself.
	const terminate_when_input_done = T &redef;

	## Cluster node types that forward the logs they write. A standalone
	## Zeek has type :zeek:see:`Cluster::NONE`. Every record is forwarded
	## by the node that calls :zeek:see:`Log::write` for it (workers,
	## proxies, manager, logger alike); records that a logger receives
	## from other nodes are never forwarded again. Removing a type loses
	## the logs written on nodes of that type.
	const node_types: set[Cluster::NodeType] = {
		Cluster::NONE,
		Cluster::LOGGER,
		Cluster::MANAGER,
		Cluster::PROXY,
		Cluster::WORKER,
	} &redef;

	## Node name sent with every schema and batch. Empty means
	## :zeek:see:`Cluster::node` in a cluster and ``zeek`` on a standalone
	## Zeek. The bridge keeps one schema per (node, path).
	const node_name = "" &redef;

	## Version of the bridge protocol these scripts speak over Broker.
	const protocol_version = 1;

	## Version of the bridge protocol over the WebSocket transport: its
	## batches are :zeek:see:`RedisBridge::log_batch2` events.
	const protocol_version_exact = 2;

	## One column of a log line, as sent in a schema.
	type Column: record {
		## Flattened log field name, e.g. ``id.orig_h``.
		name:  string;
		## Zeek type name of the column as :zeek:id:`record_fields`
		## reports it, with the name of an enum type left out (``enum``,
		## ``set[enum]``), as Zeek 3.2 to 5.2 report it.
		ztype: string;
		## Positions of the value: field 2 of the record, then field 0
		## of that record is ``[2, 0]``.
		index: index_vec;
	};

	## Describes the log lines of one log path; sent before the first
	## batch of the path and again after every new peering with the
	## bridge.
	##
	## version: the bridge protocol version (:zeek:see:`RedisBridge::protocol_version`).
	##
	## zeek_version: :zeek:see:`Version::number` of the sending Zeek.
	##
	## node: the sending node (see :zeek:see:`RedisBridge::node_name`).
	##
	## path: the log path, e.g. ``conn``.
	##
	## columns: the columns in the order Zeek's writers write them.
	global log_schema: event(version: count, zeek_version: count, node: string,
	                         path: string, columns: vector of Column);

	## Carries log records of one path, in the order they were written.
	## Each element is the log record itself (all its fields, positional).
	##
	## node: the sending node.
	##
	## path: the log path.
	##
	## records: the records.
	global log_batch: event(node: string, path: string, records: vector of any);

	## Protocol version 2 (the WebSocket transport): as
	## :zeek:see:`RedisBridge::log_batch`, plus Zeek's own JSON text of
	## the records, from which the bridge takes the exact digits of
	## doubles, times and intervals (the WebSocket API cuts doubles and
	## times).
	##
	## node: the sending node.
	##
	## path: the log path.
	##
	## records: the records.
	##
	## text: ``to_json(records, T, /^-/, T)`` (Zeek 7.1 and later;
	## before, without the last argument): a JSON array, one object per
	## record (``&log`` fields only, field names unchanged, intervals as
	## seconds).
	global log_batch2: event(node: string, path: string, records: vector of any,
	                         text: string);

	## Takes one log record of stream *id* for forwarding. Called for
	## every log write by the interception in ``intercept.zeek``; a
	## script may call it for records it wants to forward by other means.
	##
	## rec: the log record, of the stream's column type.
	##
	## id: the stream it was written to.
	global forward: function(rec: any, id: Log::ID);

	## Takes one record of stream *id* that filter *f* writes, under the
	## filter's path (``$path_func``, ``$path``) and with the columns its
	## ``$include``/``$exclude`` leave. Called for the records the
	## ``default`` filter writes (see :zeek:see:`RedisBridge::honour_filters`).
	global forward_filtered: function(rec: any, id: Log::ID, f: Log::Filter);

	## Asks the bridge to answer with :zeek:see:`RedisBridge::drained`
	## once every record it received before this request is written to
	## Redis (or put in its disk spool), or when *wait* has passed
	## (``docs/protocol.md``, "End of a run"). Published on
	## :zeek:see:`RedisBridge::topic`, after the last batch.
	##
	## seq: the request's number; the answer carries it.
	##
	## reply_topic: where to answer (``zeek/redis/drained/<node>/``).
	##
	## wait: how long the bridge may take before it answers anyway.
	global drain: event(seq: count, reply_topic: string, wait: interval);

	## The bridge's answer to :zeek:see:`RedisBridge::drain`, counting the
	## records the bridge received before the request (from every node,
	## since the bridge started).
	##
	## seq: the request's number.
	##
	## written: records written to Redis.
	##
	## spooled: records in the bridge's disk spool (Redis is away).
	##
	## unwritten: records still in the bridge's memory, not written: the
	##            request's *wait* passed first. Zero means confirmed.
	global drained: event(seq: count, written: count, spooled: count, unwritten: count);

	# Redis to Zeek (messages.zeek, intel.zeek).

	## Broker topic on which the bridge publishes
	## :zeek:see:`RedisBridge::redis_message` (the bridge's
	## ``--redis-in.topic``). Subscribed to in ``zeek_init`` on the nodes
	## of :zeek:see:`RedisBridge::messages_node_types`; must not be a
	## prefix of :zeek:see:`RedisBridge::topic`.
	const messages_topic = "zeek/redis/messages" &redef;

	## Cluster node types that subscribe to
	## :zeek:see:`RedisBridge::messages_topic` and so receive
	## :zeek:see:`RedisBridge::redis_message`. Every node peers with the
	## bridge on its own, so each message reaches each subscribed node
	## once: by default the manager of a cluster, or a standalone Zeek
	## (:zeek:see:`Cluster::NONE`). Add :zeek:see:`Cluster::WORKER` for a
	## handler that must run on every worker.
	const messages_node_types: set[Cluster::NodeType] = {
		Cluster::NONE,
		Cluster::MANAGER,
	} &redef;

	## Prints every :zeek:see:`RedisBridge::redis_message` received to
	## standard output: channel, pattern, size and the first 200 bytes of
	## the payload. (Standard output rather than the reporter log, which
	## the bridge may publish back to Redis.)
	option debug_messages = F;

	## Broker topic on which the bridge publishes the intel events of
	## ``intel.zeek`` (the bridge's ``--intel.topic``). Must not be a
	## prefix of :zeek:see:`RedisBridge::topic`.
	const intel_topic = "zeek/redis/intel" &redef;

	## Cluster node types that subscribe to
	## :zeek:see:`RedisBridge::intel_topic` and insert what arrives into
	## the Intel framework. Only a standalone Zeek (:zeek:see:`Cluster::NONE`)
	## and the manager keep the full intel store; the manager hands new
	## indicators to the workers itself. Other types are ignored with a
	## warning; an empty set turns live intel off.
	const intel_node_types: set[Cluster::NodeType] = {
		Cluster::NONE,
		Cluster::MANAGER,
	} &redef;

	## A message the bridge read from Redis on a channel it subscribes to
	## (``--redis-in.channel``) or a pattern it subscribes to
	## (``--redis-in.pattern``). Raised on the nodes of
	## :zeek:see:`RedisBridge::messages_node_types`; the package itself
	## does nothing with it (see :zeek:see:`RedisBridge::debug_messages`).
	##
	## channel: the Redis channel the message was published on.
	##
	## matched_pattern: the pattern that matched *channel* for a pattern
	##                  subscription (PSUBSCRIBE); empty for a channel
	##                  subscription (SUBSCRIBE). (The protocol calls it
	##                  ``pattern``, a keyword in Zeek; names do not travel.)
	##
	## payload: the message, byte for byte as published.
	global redis_message: event(channel: string, matched_pattern: string, payload: string);
}

# State shared by the scripts of this package.

# Whether this node forwards logs (its type is in node_types). Set in
# zeek_init; records written before that are not forwarded.
global enabled = F;

# The node name sent to the bridge.
global this_node = "zeek";

# Whether the bridge is peered right now.
global bridge_up = F;

# Runs on every flush timer tick; intercept.zeek uses it on Zeek before 4.1
# to cover log streams created after zeek_init.
global periodic: hook();

# Runs for every batch of records handed to publish_event, with the records
# (cluster.zeek keeps them until the bridge confirms them).
global batch_published: hook(path: string, recs: vector of any);

# Publishes an event to the bridge, called like Broker::publish:
# publish_event(topic, ev, args...). Broker::publish with the Broker
# transport (a direct peering with the bridge, whatever the cluster
# backend); Cluster::publish with the WebSocket transport on Zeek 7.1 and
# later (the only publish that works under a non-Broker cluster backend
# such as ZeroMQ). Set in websocket.zeek's first zeek_init handler.
global publish_event: function(va_args: any): bool;

event zeek_init() &priority=100
	{
	enabled = Cluster::local_node_type() in node_types;

	if ( node_name != "" )
		this_node = node_name;
	else if ( Cluster::is_enabled() )
		this_node = Cluster::node;
	}
