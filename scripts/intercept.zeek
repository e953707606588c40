##! Hands every log write to :zeek:see:`RedisBridge::forward`, once, with one
##! call per record.
##!
##! Zeek 4.1 and later: a handler of the global :zeek:see:`Log::log_stream_policy`
##! hook. The logging framework runs it for every write to an enabled stream
##! (writes to a stream disabled with :zeek:see:`Log::disable_stream` stop
##! before it), before the stream's filters. It runs at a very low priority so
##! that it sees the record as the other handlers leave it, and not at all
##! when one of them vetoes the write.
##!
##! Zeek 3.2 and 4.0 have no stream policy hook. There each stream gets an
##! extra filter named ``redis-bridge`` that writes nothing
##! (:zeek:see:`Log::WRITER_NONE`) and whose predicate (3.2; ``$pred`` is
##! deprecated in 4.0) or policy hook (4.0) forwards the record and then
##! rejects it, so no writer is ever created for it. The logging framework
##! calls it for every write to an enabled stream, just like the default
##! filter. Filters are added in zeek_init after the streams of Zeek's own
##! scripts exist (they are created at priority 5), again at the end of
##! zeek_init, and on every flush timer tick for streams created later.

@load base/misc/version
@load ./main

module RedisBridge;

@if ( Version::number >= 40100 )

hook Log::log_stream_policy(rec: any, id: Log::ID) &priority=-1000
	{
	RedisBridge::forward(rec, id);
	}

@else

# Name of the filter added to every stream.
const filter_name = "redis-bridge";

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
	attach_filters();
	}

event zeek_init() &priority=-1000
	{
	attach_filters();
	}

hook periodic()
	{
	attach_filters();
	}

@endif
