# Zeek's CPU for the package's send step per record, without a peer (run by
# bench/zeek_send_cost.py): n copies of one conn record in batches of 100, and
# per batch
#   mode 0: nothing (the baseline: building the batches)
#   mode 1: protocol 1, Broker::publish of log_batch (conversion to Broker data)
#   mode 2: protocol 2, the same plus to_json of the batch (log_batch2)
#   mode 3: the first proposal, to_json of each record (one statement more
#           per record) and a vector of texts
@load base/protocols/conn
const mode = 1 &redef;
const n = 200000 &redef;
global ev1: event(node: string, path: string, recs: vector of any);
global ev3: event(node: string, path: string, recs: vector of any, texts: string_vec);
global ev2: event(node: string, path: string, recs: vector of any, text: string);
event zeek_init()
	{
	local c = Conn::Info($ts=double_to_time(1300475168.784020), $uid="CHhAvVGS1DHFjwGM9",
		$id=[$orig_h=141.142.220.118, $orig_p=48649/tcp, $resp_h=208.80.152.118, $resp_p=80/tcp],
		$proto=tcp, $service="http", $duration=1234.5usec, $orig_bytes=525, $resp_bytes=232,
		$conn_state="S1", $missed_bytes=0, $history="ShADad", $orig_pkts=4, $orig_ip_bytes=741,
		$resp_pkts=3, $resp_ip_bytes=396);
	local i = 0;
	local recs: vector of any = vector();
	local texts: string_vec = vector();
	while ( i < n )
		{
		recs[|recs|] = c;
		if ( mode == 3 )
			texts[|texts|] = to_json(c, T, /^-/);
		++i;
		if ( |recs| == 100 )
			{
			if ( mode == 1 )
				Broker::publish("zeek/redis/logs", ev1, "zeek", "conn", recs);
			else if ( mode == 2 )
				Broker::publish("zeek/redis/logs", ev2, "zeek", "conn", recs, to_json(recs, T, /^-/));
			else if ( mode == 3 )
				Broker::publish("zeek/redis/logs", ev3, "zeek", "conn", recs, texts);
			recs = vector();
			texts = vector();
			}
		}
	}
