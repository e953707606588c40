##! Example policy: raise a notice the first time an HTTP user agent is seen
##! leaving the local networks, using Redis (through zeek-redis-bridge) as
##! the memory shared by every worker and surviving Zeek restarts.
##!
##! Each HTTP request from a local host (:zeek:see:`Site::local_nets`) to a
##! host outside them stores its user agent in Redis with ``SET ... PX ttl
##! NX``. Redis answers ``OK`` only to the first writer of a key, so exactly
##! one sighting, on whichever worker, raises
##! :zeek:see:`FirstSeenUserAgent::New_User_Agent`. Every later sighting
##! gets nil and only refreshes the TTL: a user agent unseen for
##! :zeek:see:`FirstSeenUserAgent::ttl` counts as new again.
##!
##! Not loaded by default:
##! ``@load zeek-redis-bridge/examples/first-seen-user-agent``.

@load base/frameworks/notice
@load base/protocols/http
@load base/utils/site
@load ../commands

module FirstSeenUserAgent;

export {
	redef enum Notice::Type += {
		## An HTTP user agent not seen leaving the local networks
		## within :zeek:see:`FirstSeenUserAgent::ttl`.
		New_User_Agent,
	};

	## How long a user agent is remembered after its last sighting.
	option ttl = 1day;

	## Prefix of the Redis keys (after the bridge's namespace prefix);
	## the user agent follows, byte for byte.
	option key_prefix = "first-seen-ua:";

	## How long to wait for the bridge's answer before forgetting a
	## sighting (the bridge or Redis may be away).
	const reply_timeout = 1min &redef;
}

# What the notice needs, by request id, until the reply comes.
type Sighting: record {
	user_agent: string;
	id: conn_id;
	uid: string;
	## Wall-clock time of the request.
	sent: time;
};

# Table expiry runs on network time, which is not always the clock the reply
# comes by: when Zeek 3.2 ends a trace, network time jumps to the wall clock
# (years later), and every sighting of the trace would expire before its reply
# came. So a sighting stays until reply_timeout has passed on the wall clock.
function keep_until_timeout(t: table[count] of Sighting, id: count): interval
	{
	local waited = current_time() - t[id]$sent;
	return waited < reply_timeout ? reply_timeout - waited : 0secs;
	}

global sightings: table[count] of Sighting &create_expire=reply_timeout
	&expire_func=keep_until_timeout;

event HTTP::log_http(rec: HTTP::Info)
	{
	if ( ! rec?$user_agent || rec$user_agent == "" )
		return;

	if ( ! Site::is_local_addr(rec$id$orig_h) || Site::is_local_addr(rec$id$resp_h) )
		return;

	local id = RedisBridge::next_request_id();
	sightings[id] = Sighting($user_agent=rec$user_agent, $id=rec$id, $uid=rec$uid,
	                         $sent=current_time());
	RedisBridge::put(key_prefix + rec$user_agent, "1", ttl, RedisBridge::SET_NX, id);
	}

event RedisBridge::reply(id: count, r: RedisBridge::Reply)
	{
	if ( id !in sightings )
		return;

	local s = sightings[id];
	delete sightings[id];

	switch ( r$kind ) {
	case RedisBridge::REPLY_STRING:
		# OK: the key was new, this is the first sighting.
		NOTICE([$note=New_User_Agent,
		        $msg=fmt("HTTP user agent seen leaving the local networks for the first time: %s",
		                 s$user_agent),
		        $sub=s$user_agent,
		        $id=s$id,
		        $uid=s$uid,
		        $identifier=s$user_agent]);
		break;
	case RedisBridge::REPLY_NIL:
		# Seen within the TTL: only keep remembering it.
		RedisBridge::expire(key_prefix + s$user_agent, ttl);
		break;
	default:
		Reporter::warning(fmt("FirstSeenUserAgent: Redis did not store %s: %s",
		                      s$user_agent, r?$str ? r$str : "?"));
		break;
	}
	}
