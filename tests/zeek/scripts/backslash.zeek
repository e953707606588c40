# Writes strings that hold backslashes (and what the ASCII writer escapes) to
# a log of its own, for test_zeek_tsv_replay.py: the TSV writer escapes a
# backslash as "\\" and other bytes as "\xNN"; a reader must undo both.
module BTest;

export {
	redef enum Log::ID += { LOG };
	type Info: record {
		n: count &log;
		s: string &log;
		v: vector of string &log;
		st: set[string] &log;
	};
}

event zeek_init()
	{
	Log::create_stream(LOG, [$columns=Info, $path="btest"]);
	local strings = vector(
		"VeriSign\\, Inc.",       # an X.509 subject with an escaped comma
		"C:\\x41",                # a backslash before text that looks like an escape
		"two\\\\backslashes",
		"trailing\\",
		"tab\there, comma,here",
		"\\",
		"plain");
	local i = 0;
	for ( idx in strings )
		{
		local s = strings[idx];
		Log::write(LOG, [$n=++i, $s=s, $v=vector(s, "x\\y"), $st=set(s)]);
		}
	}
