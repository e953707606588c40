##! Peers a Zeek that reads a trace with a Broker endpoint before the first
##! packet, and ends the run when the trace is done (the peering would keep
##! Zeek running). Run by bench/zeek_remote_logging.py: with Zeek's own remote
##! logging on (the default of a standalone Zeek), every log write goes to
##! the peer as Zeek's LogWrite messages on ``zeek/logs/``.

module ZeekRemoteLogging;

export {
	## Where the subscriber listens.
	const peer_port = 0/tcp &redef;
	## Wait in zeek_done (wall clock) so that Broker 1.4 sends what was
	## logged while Zeek terminated; 0 for a run that sends no logs.
	const linger = 0.5 &redef;
}

event zeek_init() &priority=10
	{
	suspend_processing();
	Broker::peer("127.0.0.1", peer_port, 1sec);
	}

event Broker::peer_added(endpoint: Broker::EndpointInfo, msg: string)
	{
	continue_processing();
	}

event Pcap::file_done(path: string)
	{
	terminate();
	}

event zeek_done()
	{
	if ( linger > 0 )
		piped_exec(fmt("sleep %.3f", linger), "");
	}
