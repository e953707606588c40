# Test input: RedisBridge::exclude_logs changed while a stream is written (Config framework):
# records 1-30 written, then the stream excluded for 31-60, then included again for 61-90.
# Zeek's own file holds all 90; Redis must hold 1-30 and 61-90.
@load base/frameworks/logging
@load base/frameworks/config

module ExcludeTest;

export {
	redef enum Log::ID += { LOG };

	type Info: record {
		n: count &log;
	};
}

event zeek_init() &priority=10
	{
	Log::create_stream(LOG, [$columns=Info, $path="xtest"]);
	}

# Written after the package's last look at the filters (zeek_init priority -1000).
event zeek_init() &priority=-2000
	{
	local excluded: set[Log::ID] = set(LOG);
	local none: set[Log::ID] = set();
	local i = 0;

	while ( ++i <= 90 )
		{
		if ( i == 31 )
			Config::set_value("RedisBridge::exclude_logs", excluded);

		if ( i == 61 )
			Config::set_value("RedisBridge::exclude_logs", none);

		Log::write(LOG, [$n=i]);
		}
	}
