##! Batching and publishing. Per log stream the package keeps its path, its
##! schema and a batch (a ``vector of any`` holding the records themselves).
##! Per record, :zeek:see:`RedisBridge::forward` does a constant amount of
##! work: a few set and table look-ups and one append. The record is turned
##! into Broker data only when its batch is published, as one
##! :zeek:see:`RedisBridge::log_batch` event per batch: when the batch is
##! full, on the flush timer, when the bridge is peered (the backlog) and,
##! from :zeek:see:`zeek_done` on, right away.

@load ./main
@load ./schema

module RedisBridge;

# What the package keeps per log stream.
type StreamState: record {
	# The log path.
	path:      string;
	# The stream's schema, built once.
	columns:   vector of Column;
	# Records not yet published, in the order they were written.
	batch:     vector of any;
	# Whether the schema went to the bridge since it was last peered.
	announced: bool;
};

global streams: table[Log::ID] of StreamState;

# Streams that cannot be forwarded (no schema); warned about once.
global unforwardable: set[Log::ID];

# Flush timer state. A tick carries the epoch it was started in; bumping
# the epoch retires a timer (see restart_ticks()).
global ticking = F;
global tick_epoch = 0;
global flush_tick: event(epoch: count);

# Set in zeek_done: from then on every record is published at once.
global draining = F;

# Records dropped because the backlog of their stream was full.
global dropped = 0;

function new_batch(): vector of any
	{
	local b: vector of any = vector();
	return b;
	}

# Creates the state of stream *id* from its first record *rec*.
function open_stream(id: Log::ID, rec: any): bool
	{
	if ( id in unforwardable || id !in Log::active_streams )
		return F;

	local info = Log::active_streams[id];
	local cols = build_columns(info$columns);

	if ( |cols| == 0 )
		{
		add unforwardable[id];
		Reporter::warning(fmt("RedisBridge: no schema for log stream %s, not forwarding it", id));
		return F;
		}

	local path = info?$path ? info$path : Log::default_path_func(id, "", rec);
	streams[id] = StreamState($path=path, $columns=cols, $batch=new_batch(), $announced=F);
	return T;
	}

function announce(s: StreamState)
	{
	Broker::publish(topic, log_schema, protocol_version, Version::number,
	                this_node, s$path, s$columns);
	s$announced = T;
	}

function publish_records(path: string, recs: vector of any)
	{
	if ( Broker::publish(topic, log_batch, this_node, path, recs) )
		return;

	# Some record could not be converted to Broker data (Zeek reported
	# why); send the others one by one.
	local failed = 0;

	for ( i in recs )
		{
		local one = new_batch();
		one[0] = recs[i];

		if ( ! Broker::publish(topic, log_batch, this_node, path, one) )
			++failed;
		}

	if ( failed > 0 )
		Reporter::warning(fmt("RedisBridge: %d %s records could not be sent", failed, path));
	}

# Publishes the pending records of a stream, in events of at most batch_size
# records, preceded by the schema if the bridge has not seen it yet.
function flush_stream(s: StreamState)
	{
	local n = |s$batch|;

	if ( n == 0 || ! bridge_up )
		return;

	if ( ! s$announced )
		announce(s);

	local recs = s$batch;
	s$batch = new_batch();
	local size = batch_size > 0 ? batch_size : 1;

	if ( n <= size )
		{
		publish_records(s$path, recs);
		return;
		}

	local i = 0;

	while ( i < n )
		{
		local j = (i + size < n) ? i + size : n;
		publish_records(s$path, recs[i:j]);
		i = j;
		}
	}

function flush_all()
	{
	for ( id in streams )
		flush_stream(streams[id]);
	}

function start_ticking()
	{
	ticking = T;

	if ( flush_interval > 0secs )
		schedule flush_interval { RedisBridge::flush_tick(tick_epoch) };
	}

# Retires the running flush timer; the next record starts a new one. Used
# when packet processing resumes after holding for the bridge: network time
# may have moved while processing was suspended, so a timer scheduled then
# may lie far ahead of the trace's time.
function restart_ticks()
	{
	++tick_epoch;
	ticking = F;
	}

event flush_tick(epoch: count)
	{
	if ( epoch != tick_epoch )
		return;

	hook periodic();
	flush_all();

	if ( flush_interval > 0secs )
		schedule flush_interval { RedisBridge::flush_tick(epoch) };
	else
		ticking = F;
	}

function forward(rec: any, id: Log::ID)
	{
	if ( ! enabled || id in exclude_logs )
		return;

	if ( |include_logs| > 0 && id !in include_logs )
		return;

	if ( id !in streams && ! open_stream(id, rec) )
		return;

	local s = streams[id];

	if ( ! bridge_up && |s$batch| >= max_backlog )
		{
		if ( dropped == 0 )
			Reporter::warning(fmt("RedisBridge: bridge not peered and backlog of %s full, dropping records", s$path));

		++dropped;
		return;
		}

	s$batch[|s$batch|] = rec;

	if ( draining || |s$batch| >= batch_size )
		flush_stream(s);

	if ( ! ticking )
		start_ticking();
	}

# Called by bridge.zeek when the bridge is peered: (re)send every known
# schema, then whatever is pending.
function bridge_added()
	{
	bridge_up = T;

	if ( dropped > 0 )
		{
		Reporter::warning(fmt("RedisBridge: %d records dropped while the bridge was not peered", dropped));
		dropped = 0;
		}

	for ( id in streams )
		announce(streams[id]);

	flush_all();
	}

# Called by bridge.zeek when the peering with the bridge is gone.
function bridge_gone()
	{
	bridge_up = F;

	for ( id in streams )
		streams[id]$announced = F;
	}

# Runs after the other zeek_done handlers, so what they log is included.
event zeek_done() &priority=-1000
	{
	if ( ! enabled )
		return;

	draining = T;
	flush_all();

	local left = 0;

	for ( id in streams )
		left += |streams[id]$batch|;

	if ( left + dropped > 0 )
		Reporter::warning(fmt("RedisBridge: %d records not sent at shutdown: bridge not peered", left + dropped));
	}
