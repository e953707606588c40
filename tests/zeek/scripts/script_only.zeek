# Test input: a script-only run (`zeek -b`, no packet source) that writes N records in
# zeek_init and nothing else keeps running: the package must end the run itself once the
# bridge confirmed them (or after RedisBridge::drain_timeout without a bridge).
@load base/frameworks/logging

module ScriptOnly;

export {
	redef enum Log::ID += { LOG };
	type Info: record { n: count &log; };
	const records = 300 &redef;
}

event zeek_init() &priority=10
	{
	Log::create_stream(LOG, [$columns=Info, $path="scriptonly"]);
	}

event zeek_init()
	{
	local i = 0;

	while ( ++i <= records )
		Log::write(LOG, [$n=i]);
	}
