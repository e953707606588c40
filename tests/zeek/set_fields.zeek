# Test helper: writes set_fields.txt, one line "<path> <field>" for every &log field of set type
# of every log stream (flattened names, nested &log records followed), so that the test can
# tell sets (Broker carries them sorted) from vectors (whose order must be kept).

global set_fields_out = open("set_fields.txt");

function set_fields_walk(path: string, rt: string, prefix: string, depth: count)
	{
	if ( depth > 8 )
		return;

	local fields = record_fields(rt);

	for ( name in fields )
		{
		local f = fields[name];

		if ( ! f$log )
			next;

		local full = prefix == "" ? name : cat(prefix, ".", name);

		if ( /^set\[/ in f$type_name )
			print set_fields_out, fmt("%s %s", path, full);
		else if ( /^record / in f$type_name )
			set_fields_walk(path, sub_bytes(f$type_name, 8, |f$type_name| - 7), full, depth + 1);
		}
	}

event zeek_done() &priority=1000
	{
	for ( id in Log::active_streams )
		{
		local s = Log::active_streams[id];
		local path = s?$path ? s$path : cat(id);
		set_fields_walk(path, cat(s$columns), "", 0);
		}

	close(set_fields_out);
	}
