##! Live threat intelligence from Redis: the bridge turns intel JSON read
##! from Redis into the events below (``docs/protocol.md``, "Threat
##! intelligence"), published on :zeek:see:`RedisBridge::intel_topic`. This
##! file subscribes to that topic on a standalone Zeek or the manager (see
##! :zeek:see:`RedisBridge::intel_node_types`) and turns each event into
##! :zeek:see:`Intel::insert` or :zeek:see:`Intel::remove`. The Intel::Item
##! is built here, so fields that policy scripts add to
##! :zeek:see:`Intel::MetaData` keep their defaults.
##!
##! The Intel framework keeps meta data per source: an add replaces the
##! meta data of its source for the indicator; a remove drops only its
##! source's meta data, and the indicator goes when no source is left.
##! An add with an expiry removes that (indicator, source) again after
##! the expiry, in network time, unless it was added again or removed
##! since.
##!
##! When Zeek reads a trace, the package holds packet processing until the
##! bridge has replayed its snapshot of current indicators
##! (:zeek:see:`RedisBridge::intel_replay_done`, at most
##! :zeek:see:`RedisBridge::intel_replay_timeout`), so indicators published
##! on Redis before the run match from the first packet on.
##!
##! Loaded by the package when the Intel framework is loaded before it (as it
##! is unless Zeek runs in bare mode); loading this file directly loads the
##! framework too.

@load base/frameworks/intel
@load ./main
@load ./messages

module RedisBridge;

export {
	## Adds an address indicator (:zeek:see:`Intel::ADDR`).
	##
	## indicator: the address.
	##
	## source: who says so; the Intel framework keeps meta data per source.
	##
	## desc: description; empty for none.
	##
	## url: URL with more information; empty for none.
	##
	## expire: remove the indicator for *source* again after this long;
	##         ``0secs`` for never.
	global intel_add_addr: event(indicator: addr, source: string, desc: string,
	                             url: string, expire: interval);

	## Adds a subnet indicator (:zeek:see:`Intel::SUBNET`). Arguments as
	## for :zeek:see:`RedisBridge::intel_add_addr`.
	global intel_add_subnet: event(indicator: subnet, source: string, desc: string,
	                               url: string, expire: interval);

	## Adds an indicator of any other type (URL, domain, hash ...).
	## Arguments as for :zeek:see:`RedisBridge::intel_add_addr`, plus
	## *indicator_type*. An address or subnet given this way must be valid
	## text (``192.0.2.1``, ``2001:db8::/32``), else it is dropped with a
	## warning.
	global intel_add: event(indicator: string, indicator_type: Intel::Type,
	                        source: string, desc: string, url: string,
	                        expire: interval);

	## Removes the meta data of *source* from an address indicator; the
	## indicator goes when no source is left.
	global intel_remove_addr: event(indicator: addr, source: string);

	## Removes the meta data of *source* from a subnet indicator.
	global intel_remove_subnet: event(indicator: subnet, source: string);

	## Removes the meta data of *source* from an indicator of any type.
	global intel_remove: event(indicator: string, indicator_type: Intel::Type,
	                           source: string);

	## The bridge's end-of-replay marker: sent after the indicators of
	## each snapshot replay (on the same topic, so it arrives after them),
	## and at once on a peering when the bridge has nothing to replay
	## (intel or its snapshot turned off).
	##
	## indicators: the number of indicators the replay published.
	global intel_replay_done: event(indicators: count);

	## When the package holds a trace until the bridge is peered (see
	## :zeek:see:`RedisBridge::wait_for_bridge`), the longest time, in wall
	## clock time, to go on holding after the peering until
	## :zeek:see:`RedisBridge::intel_replay_done` arrives; Zeek then
	## continues and says so. ``0secs`` continues at the peering (a
	## bridge older than the marker, or live intel not wanted from the
	## first packet). Zeek 6.0 and later run no timers while a trace is
	## held, so there the timeout is noticed only when a Broker event
	## arrives: a bridge that never sends the marker would hold such a
	## Zeek for good. Every bridge that knows the marker sends it on every
	## peering.
	const intel_replay_timeout = 10sec &redef;
}

# Whether this node inserts live intel (set in zeek_init).
global intel_receiver = F;

# Pending expiries: the deadline (network time) of each (indicator, type,
# source) added with an expiry. An expiry timer removes its item only while
# the deadline it was set for is still the one here; a later add sets a new
# deadline (or, without expiry, deletes it) and a remove deletes it, so an
# old timer never cuts a newer add short. Indicators are keyed as the Intel
# framework compares them (see deadline_key()).
global intel_deadlines: table[string, Intel::Type, string] of time;

global intel_expire: event(indicator: string, indicator_type: Intel::Type,
                           source: string, deadline: time);
global intel_arm: event(indicator: string, indicator_type: Intel::Type,
                        source: string, expire: interval, placeholder: time);

# The key of an item's indicator in intel_deadlines: addresses and subnets
# as they are (Zeek's text form), other types in lower case, as the Intel
# framework compares them.
function deadline_key(indicator: string, t: Intel::Type): string
	{
	if ( t == Intel::ADDR || t == Intel::SUBNET )
		return indicator;

	return to_lower(indicator);
	}

# The Intel framework's spelling of a subnet given as text ("10.0.0.0/8"),
# or "" if the text is not a subnet. Stricter than to_subnet(), which reads
# a missing or bad length as 0.
function subnet_text(s: string): string
	{
	local parts = split_string(s, /\//);

	if ( |parts| != 2 || ! is_valid_ip(parts[0]) ||
	     |parts[1]| == 0 || |parts[1]| > 3 || ! ( /[0-9]+/ == parts[1] ) )
		return "";

	local width = is_v4_addr(to_addr(parts[0])) ? 32 : 128;

	if ( to_count(parts[1]) > width )
		return "";

	return cat(to_subnet(s));
	}

# The item's indicator for a string indicator of type *t*: addresses and
# subnets in Zeek's text form ("" if not valid), other types unchanged.
function string_indicator(indicator: string, t: Intel::Type): string
	{
	if ( t == Intel::ADDR )
		return is_valid_ip(indicator) ? cat(to_addr(indicator)) : "";

	if ( t == Intel::SUBNET )
		return subnet_text(indicator);

	return indicator;
	}

# Sets (or, for *expire* 0, clears) the expiry of an (indicator, type,
# source); *key* is from deadline_key().
function set_deadline(key: string, t: Intel::Type, source: string, expire: interval)
	{
	if ( expire <= 0secs )
		{
		# Added again without expiry: an earlier expiry no longer applies.
		delete intel_deadlines[key, t, source];
		return;
		}

	if ( time_to_double(network_time()) == 0.0 )
		{
		# Network time is not known yet (no packet seen): a timer set now
		# would fire as soon as it is. Arm the expiry once it is known;
		# until then the expiry itself stands in for the deadline.
		local placeholder = double_to_time(interval_to_double(expire));
		intel_deadlines[key, t, source] = placeholder;
		schedule 1usec { RedisBridge::intel_arm(key, t, source, expire, placeholder) };
		return;
		}

	local deadline = network_time() + expire;
	intel_deadlines[key, t, source] = deadline;
	schedule expire { RedisBridge::intel_expire(key, t, source, deadline) };
	}

# Zeek runs every pending timer when it shuts down: the expiries then have not
# come due, and are left alone.

event intel_arm(indicator: string, indicator_type: Intel::Type, source: string,
                expire: interval, placeholder: time)
	{
	if ( zeek_is_terminating() )
		return;

	if ( [indicator, indicator_type, source] !in intel_deadlines ||
	     intel_deadlines[indicator, indicator_type, source] != placeholder )
		return;

	local deadline = network_time() + expire;
	intel_deadlines[indicator, indicator_type, source] = deadline;
	schedule expire { RedisBridge::intel_expire(indicator, indicator_type, source, deadline) };
	}

# Adds *source*'s meta data to an indicator (addresses and subnets in Zeek's
# text form) and sets its expiry.
function add_item(indicator: string, t: Intel::Type, source: string, desc: string,
                  url: string, expire: interval)
	{
	local meta = Intel::MetaData($source=source);

	if ( desc != "" )
		meta$desc = desc;

	if ( url != "" )
		meta$url = url;

	Intel::insert(Intel::Item($indicator=indicator, $indicator_type=t, $meta=meta));
	set_deadline(deadline_key(indicator, t), t, source, expire);
	}

# Removes *source*'s meta data from an indicator; the Intel framework drops
# the indicator when no source is left. Without purge_indicator, so the
# other sources' meta data stays.
function remove_item(indicator: string, t: Intel::Type, source: string)
	{
	delete intel_deadlines[deadline_key(indicator, t), t, source];
	Intel::remove(Intel::Item($indicator=indicator, $indicator_type=t,
	                          $meta=Intel::MetaData($source=source)), F);
	}

event intel_expire(indicator: string, indicator_type: Intel::Type, source: string,
                   deadline: time)
	{
	if ( zeek_is_terminating() )
		return;

	if ( [indicator, indicator_type, source] !in intel_deadlines ||
	     intel_deadlines[indicator, indicator_type, source] != deadline )
		return;

	remove_item(indicator, indicator_type, source);
	}

event zeek_init() &priority=5
	{
	local nt = Cluster::local_node_type();

	if ( nt !in intel_node_types )
		return;

	if ( nt != Cluster::NONE && nt != Cluster::MANAGER )
		{
		Reporter::warning(fmt("RedisBridge: live intel is inserted on the manager only, not on %s nodes (RedisBridge::intel_node_types)", nt));
		return;
		}

	intel_receiver = T;
	receive_from_bridge(intel_topic);
	# bridge.zeek's hold (zeek_init at priority 0) lasts until the marker.
	replay_hold = intel_replay_timeout;
	}

event intel_replay_done(indicators: count)
	{
	if ( ! intel_receiver || replay_done )
		return;

	# Only the first marker ends the hold: a later replay (a reconnection,
	# another peer) changes nothing here.
	replay_done = T;

	# The marker comes from the bridge, so the peering is up, even if
	# Broker::peer_added has not been handled yet (it then finds the hold
	# over).
	stop_holding();
	}

event intel_add_addr(indicator: addr, source: string, desc: string, url: string,
                     expire: interval)
	{
	if ( intel_receiver )
		add_item(cat(indicator), Intel::ADDR, source, desc, url, expire);
	}

event intel_add_subnet(indicator: subnet, source: string, desc: string, url: string,
                       expire: interval)
	{
	if ( intel_receiver )
		add_item(cat(indicator), Intel::SUBNET, source, desc, url, expire);
	}

event intel_add(indicator: string, indicator_type: Intel::Type, source: string,
                desc: string, url: string, expire: interval)
	{
	if ( ! intel_receiver )
		return;

	local ind = string_indicator(indicator, indicator_type);

	if ( ind == "" )
		{
		Reporter::warning(fmt("RedisBridge: intel indicator '%s' is not a valid %s, dropped",
		                      indicator, indicator_type));
		return;
		}

	add_item(ind, indicator_type, source, desc, url, expire);
	}

event intel_remove_addr(indicator: addr, source: string)
	{
	if ( intel_receiver )
		remove_item(cat(indicator), Intel::ADDR, source);
	}

event intel_remove_subnet(indicator: subnet, source: string)
	{
	if ( intel_receiver )
		remove_item(cat(indicator), Intel::SUBNET, source);
	}

event intel_remove(indicator: string, indicator_type: Intel::Type, source: string)
	{
	if ( ! intel_receiver )
		return;

	local ind = string_indicator(indicator, indicator_type);

	if ( ind == "" )
		{
		Reporter::warning(fmt("RedisBridge: intel indicator '%s' is not a valid %s, not removed",
		                      indicator, indicator_type));
		return;
		}

	remove_item(ind, indicator_type, source);
	}
