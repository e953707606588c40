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

# What the package keeps per log path (a stream whose filter has a
# $path_func writes several paths).
type StreamState: record {
	# The log path.
	path:      string;
	# The schema of the path, built once.
	columns:   vector of Column;
	# Records not yet published, in the order they were written.
	batch:     vector of any;
	# Whether the schema went to the bridge since it was last peered.
	announced: bool;
};

# By log path.
global streams: table[string] of StreamState;

# Columns of each stream, all &log fields (forward()) and as the default
# filter's $include/$exclude leave them (forward_filtered()).
global stream_columns: table[Log::ID] of vector of Column;
global filtered_columns: table[Log::ID] of vector of Column;

# Streams that cannot be forwarded (no schema); warned about once.
global unforwardable: set[Log::ID];

# Flush timer state. A tick carries the epoch it was started in; bumping
# the epoch retires a timer (see restart_ticks()).
global ticking = F;
global tick_epoch = 0;
global flush_tick: event(epoch: count);

# Set in zeek_done: from then on every record is published at once.
global draining = F;

# Set (websocket.zeek) once nothing published can reach the bridge any more:
# Zeek 7.2+ hands messages to a WebSocket client only from its main loop,
# which has ended. From then on every record goes to spill() at once,
# whether the bridge is up or not.
global spilling = F;
global spill: function(path: string, recs: vector of any);

# Called by drain.zeek right after it called terminate(): the main loop
# ends with the current events, and what Zeek logs next (open connections,
# net_done, zeek_done) is logged after it.
global main_loop_ending: hook();

# Paths whose batch holds records, so that a flush tick visits only those.
global pending_paths: set[string];

# Wall clock time of the last flush by the timer (see flush_tick).
global last_tick_flush: time = double_to_time(0.0);

# Records dropped because the backlog of their stream was full.
global dropped = 0;

function new_batch(): vector of any
	{
	local b: vector of any = vector();
	return b;
	}

# The columns of stream *id* (all &log fields), built once; empty if the
# stream cannot be forwarded.
function columns_of(id: Log::ID): vector of Column
	{
	if ( id in stream_columns )
		return stream_columns[id];

	local cols: vector of Column = vector();

	if ( id in unforwardable || id !in Log::active_streams )
		return cols;

	cols = build_columns(Log::active_streams[id]$columns);

	if ( |cols| == 0 )
		{
		add unforwardable[id];
		Reporter::warning(fmt("RedisBridge: no schema for log stream %s, not forwarding it", id));
		return cols;
		}

	stream_columns[id] = cols;
	return cols;
	}

# The columns of stream *id* that filter *f* writes ($include, $exclude).
function filter_columns(id: Log::ID, f: Log::Filter): vector of Column
	{
	if ( id in filtered_columns )
		return filtered_columns[id];

	local all = columns_of(id);

	if ( ! f?$include && ! f?$exclude )
		return all;

	local cols: vector of Column = vector();

	for ( i in all )
		{
		if ( f?$include && all[i]$name !in f$include )
			next;

		if ( f?$exclude && all[i]$name in f$exclude )
			next;

		cols[|cols|] = all[i];
		}

	filtered_columns[id] = cols;
	return cols;
	}

# The state of log path *path*, created with *cols* on its first record.
function state_of(path: string, cols: vector of Column): StreamState
	{
	if ( path !in streams )
		streams[path] = StreamState($path=path, $columns=cols, $batch=new_batch(), $announced=F);

	return streams[path];
	}

# How schemas and batches go out: protocol 1 over Broker here;
# websocket.zeek switches to protocol 2 for the WebSocket transport.
global wire_version = protocol_version;

function send_batch_v1(path: string, recs: vector of any): bool
	{
	return Broker::publish(topic, log_batch, this_node, path, recs);
	}

global send_batch: function(path: string, recs: vector of any): bool = send_batch_v1;

function announce(s: StreamState)
	{
	publish_event(topic, log_schema, wire_version, Version::number,
	              this_node, s$path, s$columns);
	s$announced = T;
	}

# Records handed to Broker since the start (drain.zeek compares it with
# what the bridge confirmed).
global published_records = 0;

function publish_records(path: string, recs: vector of any)
	{
	if ( send_batch(path, recs) )
		{
		published_records += |recs|;
		hook batch_published(path, recs);
		return;
		}

	# Some record could not be converted to Broker data (Zeek reported
	# why); send the others one by one.
	local failed = 0;

	for ( i in recs )
		{
		local one = new_batch();
		one[0] = recs[i];

		if ( send_batch(path, one) )
			{
			++published_records;
			hook batch_published(path, one);
			}
		else
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

	if ( n > 0 && spilling )
		{
		local left = s$batch;
		s$batch = new_batch();
		delete pending_paths[s$path];
		spill(s$path, left);
		return;
		}

	if ( n == 0 || ! bridge_up )
		return;

	if ( ! s$announced )
		announce(s);

	local recs = s$batch;
	s$batch = new_batch();
	delete pending_paths[s$path];
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
	# flush_stream() deletes from pending_paths: iterate over a copy.
	for ( p in copy(pending_paths) )
		flush_stream(streams[p]);
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

# A trace's end: publish what is pending now. While reading a trace the
# flush tick publishes at most once per flush_interval of wall clock, and
# after the trace no timer runs any more (Zeek 6+), so a node that keeps
# running after its trace (a cluster worker) would otherwise hold its last
# records until it terminates.
event Pcap::file_done(path: string) &priority=10
	{
	if ( enabled )
		flush_all();
	}

event flush_tick(epoch: count)
	{
	if ( epoch != tick_epoch )
		return;

	hook periodic();

	# Reading a trace, network time runs far ahead of the wall clock: a
	# 200 ms tick of trace time comes every few ms and would publish a
	# record or two per event, each event costing Zeek (conversion, a
	# message to Broker's threads, a wakeup) as much as a full batch. So
	# while reading traces the timer flushes at most once per
	# flush_interval of wall clock time; records then still wait at most
	# about that long, measured as a reader of Redis sees it. Live, network
	# time follows the wall clock and every tick flushes.
	if ( ! reading_traces() || current_time() - last_tick_flush >= flush_interval )
		{
		flush_all();
		last_tick_flush = current_time();
		}

	if ( flush_interval > 0secs )
		schedule flush_interval { RedisBridge::flush_tick(epoch) };
	else
		ticking = F;
	}

# Appends *rec* to the batch of *s*.
function append(s: StreamState, rec: any)
	{
	# Runs for every record: the batch's size is taken once, and each
	# test puts first the condition that is false for most records.
	local n = |s$batch|;

	if ( n >= max_backlog && ! bridge_up && ! spilling )
		{
		if ( dropped == 0 )
			Reporter::warning(fmt("RedisBridge: bridge not peered and backlog of %s full, dropping records", s$path));

		++dropped;
		return;
		}

	s$batch[n] = rec;

	if ( n == 0 )
		add pending_paths[s$path];

	if ( n + 1 >= batch_size || draining || spilling )
		flush_stream(s);

	if ( ! ticking )
		start_ticking();
	}

# Appends *rec* to the batch of *path*.
function enqueue(rec: any, path: string, cols: vector of Column)
	{
	append(state_of(path, cols), rec);
	}

# Per stream, the state of the path its default filter writes when the
# filter has no $path_func (most streams): forward_filtered() then finds
# it with one look-up instead of computing columns and path per record.
global direct: table[Log::ID] of StreamState;

# Streams enter *direct* only once wanted() said yes, and forward_filtered()
# then skips it: a change of include_logs or exclude_logs (the Config
# framework) empties *direct*, so each stream is asked again.
function forget_direct(ID: string, new_value: set[Log::ID]): set[Log::ID]
	{
	clear_table(direct);
	return new_value;
	}

event zeek_init()
	{
	Option::set_change_handler("RedisBridge::include_logs", forget_direct);
	Option::set_change_handler("RedisBridge::exclude_logs", forget_direct);
	}

function wanted(id: Log::ID): bool
	{
	if ( ! enabled || id in exclude_logs )
		return F;

	return |include_logs| == 0 || id in include_logs;
	}

function forward(rec: any, id: Log::ID)
	{
	if ( ! wanted(id) )
		return;

	local cols = columns_of(id);

	if ( |cols| == 0 )
		return;

	local info = Log::active_streams[id];
	local path = info?$path ? info$path : Log::default_path_func(id, "", rec);
	enqueue(rec, path, cols);
	}

function forward_filtered(rec: any, id: Log::ID, f: Log::Filter)
	{
	# Most records take this path: a forwarded stream (only those are in
	# *direct*) whose default filter has no $path_func. The filter's path
	# is checked each time: a script may replace the filter by a copy with
	# another path that keeps the package's wrapper.
	if ( id in direct && ! f?$path_func )
		{
		local d = direct[id];

		if ( d$path == f$path )
			{
			append(d, rec);
			return;
			}
		}

	if ( ! wanted(id) )
		return;

	local cols = filter_columns(id, f);

	if ( |cols| == 0 )
		return;

	# As the logging manager does: $path_func with the filter's $path (or
	# ""), else $path (Log::add_filter sets one of the two).
	local path = f?$path_func ? f$path_func(id, f?$path ? f$path : "", rec) : f$path;
	local s = state_of(path, cols);

	if ( ! f?$path_func )
		direct[id] = s;

	append(s, rec);
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

	for ( p in streams )
		announce(streams[p]);

	flush_all();
	}

# Called by bridge.zeek when the peering with the bridge is gone.
function bridge_gone()
	{
	bridge_up = F;

	for ( p in streams )
		streams[p]$announced = F;
	}

# Set by drain.zeek when it ended the run: every record published up to
# accounted_records was then confirmed by the bridge or reported as not
# confirmed. What is published after that is "sent at shutdown".
global end_accounted = F;
global accounted_records = 0;

# Whether the bridge is among Broker's peers right now. Asks Broker's core
# directly, so it works in zeek_done, where no Broker events are handled.
function bridge_in_peers(): bool
	{
	for ( i in Broker::peers() )
		{
		local p = Broker::peers()[i];

		if ( p$peer?$network && p$peer$network$bound_port == bridge_port &&
		     p$status == Broker::PEERED )
			return T;
		}

	return F;
	}

function pending_records(): count
	{
	local n = 0;

	for ( p in streams )
		n += |streams[p]$batch|;

	return n;
	}

# Waits (wall clock) until *until*; Broker runs on threads of its own
# meanwhile. It blocks rather than spins: a busy wait of 0.5 s at the end
# of every run was a third of what forwarding cost Zeek's CPU on a
# 100-copy trace (bench/RESULTS.md). Zeek before 7.1 has no sleep(); there
# piped_exec() runs the shell's sleep and waits for it. Whatever is left
# (no shell, an early wakeup) is spun away.
function linger(until: time)
	{
	local left = until - current_time();

	if ( left > 0secs )
		{
@if ( Version::number >= 70100 )
		sleep(left);
@else
		piped_exec(fmt("sleep %.3f", interval_to_double(left)), "");
@endif
		}

	while ( current_time() < until )
		;
	}

# Runs after the other zeek_done handlers, so what they log is included.
# Zeek handles no Broker events here, so no answer of the bridge can be
# awaited: what is published now is only given time to leave.
event zeek_done() &priority=-1000
	{
	if ( ! enabled )
		return;

	draining = T;
	local deadline = current_time() + drain_timeout;
	local base = end_accounted ? accounted_records : published_records;

	# A run that ended before the peering was up (SIGTERM early, a run
	# that drain.zeek does not end; drain.zeek has waited already): wait
	# for the bridge, then send the
	# backlog. Broker's events are not handled any more, so ask Broker's
	# core for its peers.
	if ( ! end_accounted && ! bridge_up && ! spilling && pending_records() > 0 &&
	     drain_timeout > 0secs )
		{
		while ( current_time() < deadline && ! bridge_in_peers() )
			;

		if ( bridge_in_peers() )
			{
			# The bridge's subscriptions travel right after the handshake.
			linger(current_time() + 200msec);
			bridge_added();
			}
		}

	flush_all();
	local left = pending_records() + dropped;

	if ( left > 0 )
		Reporter::info(fmt("RedisBridge: %d records not sent at shutdown: bridge not peered", left));

	if ( published_records > base )
		Reporter::info(fmt("RedisBridge: %d records sent at shutdown, not confirmed",
		                   published_records - base));

	# What was published just now is still in Broker's queues. Zeek 8's
	# Broker closes every peering gracefully on shutdown (it sends what is
	# queued, then BYE): every record arrived there without waiting. Zeek
	# 3.2 (Broker 1.4) loses some without a wait; it and the versions in
	# between (not tested here) keep Zeek alive for a moment.
@if ( Version::number < 80000 )
	if ( bridge_up && published_records > base && drain_timeout > 0secs )
		linger(current_time() + (drain_timeout < 500msec ? drain_timeout : 500msec));
@endif
	}
