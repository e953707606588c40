# Test input: a stream whose default filter drops records ($pred), splits them over two
# paths ($path_func) and leaves a field out ($exclude); written in zeek_init of a script-only
# run (`zeek -b`), plus one record in zeek_done.
@load base/frameworks/logging
@load base/misc/version

module FilterTest;

export {
	redef enum Log::ID += { LOG, COPY_LOG };

	type CopyInfo: record {
		n: count &log;
	};

	type Info: record {
		n:      count  &log;
		secret: string &log;
		tags:   set[string] &log;
		v:      vector of count &log;
	};
}

function keep(rec: Info): bool
	{
	return rec$n % 3 != 0;
	}

@if ( Version::number >= 40000 )
# Zeek 4.0 and later: filters drop records with a policy hook ($pred is gone).
global keep_policy: Log::PolicyHook;

hook keep_policy(rec: any, id: Log::ID, filter: Log::Filter)
	{
	if ( ! keep(rec as Info) )
		break;
	}
@endif

function split(id: Log::ID, path: string, rec: Info): string
	{
	return rec$n % 2 == 0 ? "ftest_even" : "ftest_odd";
	}

# The stream is created before the package wraps the default filters (priority 4), as Zeek's
# own streams are (5); its default filter is replaced after that, at priority 2, the way
# protocols/ssl/log-hostcerts-only replaces x509's (a copy of the filter, by then the package's
# wrapper, with a predicate or policy of its own): the package must wrap it again.
event zeek_init() &priority=10
	{
	Log::create_stream(LOG, [$columns=Info, $path="ftest"]);
	Log::create_stream(COPY_LOG, [$columns=CopyInfo, $path="fcopy"]);
	}

# A default filter replaced by a copy of itself (by then the package's wrapper, kept) with
# another path: the package must wrap it again, else the old wrapper forwards under the old
# path.
event zeek_init() &priority=2
	{
	local f = copy(Log::get_filter(COPY_LOG, "default"));
	f$path = "fcopy_renamed";
	Log::remove_filter(COPY_LOG, "default");
	Log::add_filter(COPY_LOG, f);
	}

event zeek_init() &priority=2
	{
	local f = Log::get_filter(LOG, "default");
@if ( Version::number >= 40000 )
	f$policy = keep_policy;
@else
	f$pred = keep;
@endif
	f$path_func = split;
	f$exclude = set("secret");
	Log::remove_filter(LOG, "default");
	Log::add_filter(LOG, f);
	}

# Written after the package's last look at the filters (zeek_init priority -1000), as traffic
# is.
event zeek_init() &priority=-2000
	{
	local i = 0;

	while ( ++i <= 60 )
		{
		Log::write(LOG, [$n=i, $secret="s", $tags=set("b", "a", "c"), $v=vector(3, 1, 2)]);
		Log::write(COPY_LOG, [$n=i]);
		}
	}

event zeek_done()
	{
	Log::write(LOG, [$n=1000001, $secret="s", $tags=set("x"), $v=vector(1)]);
	}
