# The awkward values of the corpora in one log stream, logged in zeek_init by a
# script-only Zeek with the package over the WebSocket transport
# (test_websocket_awkward.py): times with microseconds, doubles with 17
# digits and Grisu2's odd cases, strings that are not UTF-8 or hold control
# bytes, a field with a leading "_", nested records, sets and vectors of
# doubles and times, unset fields.

module Awkward;

export {
	redef enum Log::ID += { LOG };

	type Inner: record {
		x: double &log;
		t: time &log &optional;
		s: string &log;
	};

	type Info: record {
		ts:   time &log;
		d:    double &log;
		s:    string &log;
		n:    Inner &log;
		ds:   set[double] &log;
		tv:   vector of time &log;
		_u:   double &log;
		opt:  double &log &optional;
		i:    interval &log;
		hide: double;
	};
}

const times = vector(1300475168.784020, 1700000000.25, 1300475167.096535, 1215620010.54321,
                     0.000001, 1e9, 3639817991.5102878);
const doubles = vector(0.1 + 0.2, 2153226000.1234567, 3639817991.5102878, 1e-7, 1e21, 100.0,
                       -0.0, 123456.789012345, 1.0 / 3.0, 5e-324, 1.7976931348623157e308);
const strings = vector("\xff\xfe", "ñ", "a\x00b\x01c", "\\x41 is not A", "tab\there\nnl",
                       "\x7f del", "mixed ñ and \xc3", "quote \" backslash \\", "");

event zeek_init()
	{
	Log::create_stream(LOG, [$columns=Info, $path="awkward"]);
	}

# After the package wrapped the streams' filters (intercept.zeek, at the end
# of zeek_init): a stream created in zeek_init is forwarded from then on.
event zeek_init() &priority=-2000
	{
	local k = 0;

	while ( k < 33 )
		{
		local t = double_to_time(times[k % |times|]);
		local d = doubles[k % |doubles|];
		local r = Info($ts=t, $d=d, $s=strings[k % |strings|],
		               $n=Inner($x=doubles[(k + 3) % |doubles|], $s=strings[(k + 1) % |strings|]),
		               $ds=set(d), $tv=vector(t, double_to_time(times[(k + 2) % |times|])),
		               $_u=doubles[(k + 5) % |doubles|], $i=double_to_interval(d > 1e9 ? 1.5 : d),
		               $hide=1.0);
		if ( k % 2 == 0 )
			r$n$t = t;
		if ( k % 3 == 0 )
			r$opt = d;
		Log::write(LOG, r);
		++k;
		}
	}
