# Test input: a script-only run (`zeek -b`, no packet source) that writes N records in
# zeek_init and nothing else keeps running: the package must end the run itself once the
# bridge confirmed them (or after RedisBridge::drain_timeout without a bridge).
@load base/frameworks/logging

module ScriptOnly;

export {
	redef enum Log::ID += { LOG };
	type Info: record { n: count &log; };
	const records = 300 &redef;

	## How the records left: the batches of this path and the largest
	## (test_zeek_package.py checks them against the package's default
	## RedisBridge::batch_size).
	global batches = 0;
	global largest = 0;
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

event zeek_done()
	{
	print fmt("ScriptOnly: %d batches, largest %d records", batches, largest);
	}

# The package's hook is not exported: handle it inside its module.
module RedisBridge;

hook batch_published(path: string, recs: vector of any)
	{
	if ( path != "scriptonly" )
		return;

	++ScriptOnly::batches;

	if ( |recs| > ScriptOnly::largest )
		ScriptOnly::largest = |recs|;
	}
