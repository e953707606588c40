# Logs doubles, intervals and times that are not finite (NaN, +inf, -inf)
# beside finite ones, for test_zeek_nonfinite.py. Zeek's JSON writer writes
# null for the non-finite ones.
@load base/misc/version

module NFTest;

export {
	redef enum Log::ID += { LOG };
	type Info: record {
		what: string &log;
		d: double &log &optional;
		i: interval &log &optional;
		t: time &log &optional;
		dv: vector of double &log &optional;
	};
}

# The stream exists before the package covers streams (zeek_init priority 4, docs/zeek-scripts.md).
event zeek_init() &priority=10
	{
	Log::create_stream(LOG, [$columns=Info, $path="nftest"]);
	}

event zeek_init()
	{
	local inf = exp(1000.0);
	local nan = inf - inf;
	Log::write(LOG, [$what="finite", $d=0.1 + 0.2, $i=1.5msec, $t=double_to_time(1.25),
	                 $dv=vector(1e300, -0.0)]);
	Log::write(LOG, [$what="nan", $d=nan, $i=double_to_interval(nan), $dv=vector(nan)]);
@if ( Version::number >= 40000 )
	Log::write(LOG, [$what="inf", $d=inf, $i=double_to_interval(inf), $dv=vector(inf, -inf)]);
	Log::write(LOG, [$what="-inf", $d=-inf, $i=double_to_interval(-inf)]);
@else
	# Broker 1.4's serializer (CAF 0.17) never returns from an infinite double
	# (docs/protocol.md): Zeek 3.2 then sends nothing more and cannot exit.
	Log::write(LOG, [$what="inf", $i=double_to_interval(inf)]);
	Log::write(LOG, [$what="-inf", $i=double_to_interval(-inf)]);
@endif
	Log::write(LOG, [$what="time nan", $t=double_to_time(nan)]);
	Log::write(LOG, [$what="time inf", $t=double_to_time(inf)]);
	}
