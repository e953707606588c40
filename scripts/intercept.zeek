##! Hands log writes to the forwarding in ``logs.zeek``, once per record.
##!
##! By default (:zeek:see:`RedisBridge::honour_filters`) the package forwards
##! what each stream's ``default`` filter writes. It replaces that filter, at
##! the end of ``zeek_init`` (and, for streams created later, at the first
##! flush tick after the number of streams changed), by a copy that forwards each record the filter
##! accepts, with the filter's path and columns
##! (:zeek:see:`RedisBridge::forward_filtered`):
##!
##! * Zeek 3.2: the copy's ``$pred`` runs the original predicate (if any) and
##!   forwards the record when it returns T. Predicate and write are one
##!   decision, so Redis gets exactly what the filter writes.
##! * Zeek 4.0 and later: the copy's ``$policy`` hook runs the original
##!   filter policy (the filter's own or, failing that, the stream's
##!   ``$policy``, which filters inherit) and forwards the record unless it
##!   vetoed. From 4.1 on, filter hooks run even after the global
##!   :zeek:see:`Log::log_stream_policy` vetoed a write; a handler of that
##!   hook at the lowest priority (it runs only if nothing vetoed) notes
##!   the write, and the filter's hook forwards only a noted write.
##!
##! With ``honour_filters=F`` every write of an enabled stream is forwarded
##! under the stream's path with all ``&log`` fields
##! (:zeek:see:`RedisBridge::forward`): on 4.1 and later from the global
##! :zeek:see:`Log::log_stream_policy` hook; before, from an extra filter
##! ``redis-bridge`` with :zeek:see:`Log::WRITER_NONE` whose ``$pred`` (3.2)
##! or policy hook (4.0) forwards the record and rejects it.

@load base/misc/version
@load ./main
@load ./logs

module RedisBridge;

export {
	## Whether the log writes of a standalone Zeek (:zeek:see:`Cluster::NONE`)
	## still go to its Broker peers as Zeek's own remote logging (the
	## ``$log_remote`` of the ``default`` filters the package wraps, see
	## :zeek:see:`RedisBridge::honour_filters`). Once any peer is connected
	## (the bridge is one), Zeek serializes every such write for Broker, and
	## the bridge subscribes to none of them: on a standalone Zeek that is
	## pure cost, more than forwarding the record itself. F (the default)
	## turns it off there; T keeps it, for a standalone Zeek that also
	## sends its logs to another Broker peer. Cluster nodes always keep it
	## (their logs go to the logger that way).
	const standalone_remote_logging = F &redef;
}


# Name of the filter added to every stream when filters are not honoured.
const filter_name = "redis-bridge";

# Streams whose default filter was wrapped (or found missing).
global wrapped: set[Log::ID];

@if ( Version::number >= 40000 )

# The original policy of each wrapped default filter, if it had one.
global original_policy: table[Log::ID] of Log::PolicyHook;

@if ( Version::number >= 40100 )
# The stream of the last write that passed Log::log_stream_policy.
global passed_stream: Log::ID;
global passed = F;

hook Log::log_stream_policy(rec: any, id: Log::ID) &priority=-1000
	{
	if ( ! honour_filters )
		{
		RedisBridge::forward(rec, id);
		return;
		}

	passed = T;
	passed_stream = id;
	}
@endif

global wrapper_policy: Log::PolicyHook;

hook wrapper_policy(rec: any, id: Log::ID, filter: Log::Filter)
	{
@if ( Version::number >= 40100 )
	local ok = passed && passed_stream == id;
	passed = F;
@else
	local ok = T;
@endif

	if ( id in original_policy )
		{
		local orig = original_policy[id];

		if ( ! ( hook orig(rec, id, filter) ) )
			break;
		}

	if ( ok )
		forward_filtered(rec, id, filter);
	}

function wrap(id: Log::ID, f: Log::Filter): Log::Filter
	{
	if ( f?$policy )
		original_policy[id] = f$policy;
	else if ( Log::active_streams[id]?$policy )
		original_policy[id] = Log::active_streams[id]$policy;

	f$policy = wrapper_policy;
	return f;
	}

@else

# Every wrap of a stream's default filter has a generation; only the
# newest wrapper forwards. A script that replaces the default filter after
# it was wrapped (log-hostcerts-only copies it and sets its own $pred) is
# wrapped again at the end of zeek_init, and an older wrapper that ends up
# as the new one's original predicate only evaluates its own original.
global wrap_generation: table[Log::ID] of count;
global original_pred: table[Log::ID, count] of function(rec: any): bool;
global wrapped_filter: table[Log::ID] of Log::Filter;

# cat() of a wrapper predicate: the same for every closure of wrap()'s
# function, another for any other function.
global wrapper_description = "";

function wrap(id: Log::ID, f: Log::Filter): Log::Filter
	{
	local g = id in wrap_generation ? wrap_generation[id] + 1 : 1;
	wrap_generation[id] = g;

	if ( f?$pred )
		original_pred[id, g] = f$pred;

	wrapped_filter[id] = f;
	# Most default filters have no predicate: knowing that saves a look-up
	# per record.
	local has_pred = f?$pred;
	# A closure over this call's *id*, *g* and *has_pred* only (Zeek 3.2's
	# closures over function values are not reliable).
	f$pred = function(rec: any): bool
		{
		if ( has_pred && ! original_pred[id, g](rec) )
			return F;

		if ( g == wrap_generation[id] )
			forward_filtered(rec, id, wrapped_filter[id]);

		return T;
		};
	wrapper_description = cat(f$pred);
	return f;
	}

# Whether *f*, the default filter of *id* now, is still the package's
# wrapper: the very record wrap() returned (changed in place or not: the
# wrapper reads that record) with a wrapper predicate. Then wrapping it
# again would only chain a second wrapper, run for every record.
function still_wrapped(id: Log::ID, f: Log::Filter): bool
	{
	if ( id !in wrapped_filter || ! f?$pred || cat(f$pred) != wrapper_description )
		return F;

	# A copy would keep the older wrapper, which forwards with the record it
	# knows. Zeek has no identity test: mark one record and look at the other.
	local mine = wrapped_filter[id];
	mine$name = "redis-bridge-probe";
	local same = f$name == mine$name;
	mine$name = "default";
	return same;
	}

@endif

# Zeek's remote logging of a wrapped default filter (standalone_remote_logging).
function remote_logging(f: Log::Filter)
	{
	if ( ! standalone_remote_logging && Cluster::local_node_type() == Cluster::NONE )
		f$log_remote = F;
	}

# Replaces the default filter of every stream by its wrapped copy: streams
# not yet seen, or all of them with *again*.
function wrap_default_filters(again: bool)
	{
	if ( ! enabled )
		return;

	for ( id in Log::active_streams )
		{
		if ( id in wrapped && ! again )
			next;

		add wrapped[id];
		local f = Log::get_filter(id, "default");

		if ( f$name != "default" )
			next;  # no default filter: Zeek writes nothing, nor do we

@if ( Version::number >= 40000 )
		# Wrapped already, and not replaced since: its policy is our
		# wrapper (a hook value's description names it).
		if ( f?$policy && cat(f$policy) == cat(wrapper_policy) )
			next;
@else
		if ( still_wrapped(id, f) )
			next;
@endif

		remote_logging(f);
		Log::remove_filter(id, "default");
		Log::add_filter(id, wrap(id, f));
		}
	}

@if ( Version::number < 40100 )

@if ( Version::number >= 40000 )
global filter_policy: Log::PolicyHook;

hook filter_policy(rec: any, id: Log::ID, filter: Log::Filter)
	{
	RedisBridge::forward(rec, id);
	break;
	}

function make_filter(id: Log::ID): Log::Filter
	{
	return Log::Filter($name=filter_name, $writer=Log::WRITER_NONE,
	                   $log_local=F, $log_remote=F, $policy=filter_policy);
	}
@else
function make_filter(id: Log::ID): Log::Filter
	{
	# The predicate is a closure over this call's *id*.
	return Log::Filter($name=filter_name, $writer=Log::WRITER_NONE,
	                   $log_local=F, $log_remote=F,
	                   $pred=function(rec: any): bool
		                   {
		                   RedisBridge::forward(rec, id);
		                   return F;
		                   });
	}
@endif

function attach_filters()
	{
	if ( ! enabled )
		return;

	for ( id in Log::active_streams )
		if ( Log::get_filter(id, filter_name)$name != filter_name )
			Log::add_filter(id, make_filter(id));
	}

event zeek_init() &priority=4
	{
	if ( ! honour_filters )
		attach_filters();
	}

@endif

# Streams of Zeek's scripts exist now (priority 5), and some write in
# zeek_init (packet_filter, at priority -5): wrap their filters first here.
event zeek_init() &priority=4
	{
	if ( honour_filters )
		wrap_default_filters(F);
	}

# Last in zeek_init: after every script changed its filters.
event zeek_init() &priority=-1000
	{
	# Again for every stream: a script may have replaced a default filter
	# since (log-hostcerts-only on 3.2); one still wrapped is left alone.
	if ( honour_filters )
		wrap_default_filters(T);

@if ( Version::number < 40100 )
	if ( ! honour_filters )
		attach_filters();
@endif
	}

# Number of log streams when periodic() last looked for new ones.
global streams_seen = 0;

hook periodic()
	{
	# Runs on every flush tick (every 200 ms of trace time: thousands of
	# times over a long trace), so it looks at the streams only when their
	# number changed (a stream removed and another created between two
	# ticks is not seen until the number changes again).
	if ( |Log::active_streams| != streams_seen )
		{
		streams_seen = |Log::active_streams|;

		if ( honour_filters )
			wrap_default_filters(F);

@if ( Version::number < 40100 )
		if ( ! honour_filters )
			attach_filters();
@endif
		}
	}
