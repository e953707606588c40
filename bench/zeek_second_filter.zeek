##! A second filter on every log stream, added last in zeek_init: a copy of
##! the stream's ``default`` filter that writes JSON to ``<path>_2`` or, with
##! ``ZeekSecondFilter::writer_none=T``, hands each record to
##! :zeek:see:`Log::WRITER_NONE`. For bench/zeek_cost.py as a variant of mode a
##! (``--variant 'a2=a bench/zeek_second_filter.zeek'``): what a second
##! consumer inside Zeek's logging framework costs Zeek (the logging manager
##! converts each record once per filter, then a writer thread formats it),
##! the least a compiled log writer that forwards records would cost.

module ZeekSecondFilter;

export {
	## T: the second filter's writer is WRITER_NONE (conversion and the
	## hand-over to a writer thread, no formatting); F: ASCII (JSON with
	## LogAscii::use_json=T) to ``<path>_2``.
	const writer_none = F &redef;
}

event zeek_init() &priority=-1000
	{
	for ( id in Log::active_streams )
		{
		local f = Log::get_filter(id, "default");

		if ( f$name != "default" || ! f?$path )
			next;

		local g = copy(f);
		g$name = "second";

		if ( writer_none )
			g$writer = Log::WRITER_NONE;
		else
			g$path = f$path + "_2";

		Log::add_filter(id, g);
		}
	}
