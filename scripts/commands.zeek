##! Redis as shared state for Zeek scripts: typed operations (strings with a
##! TTL, counters, hashes, sets, sorted sets, HyperLogLogs, capped lists) and
##! an allowlisted generic command, executed by the bridge on a Redis
##! connection of its own, with an optional reply (``docs/protocol.md``,
##! "Commands").
##!
##! Every function publishes one ``RedisBridge::op_*`` event to the bridge
##! and returns at once. Without a request id (0, the default) the operation
##! is fire-and-forget: the bridge batches it with everything else and sends
##! no reply. With an id, the bridge answers with
##! :zeek:see:`RedisBridge::reply` carrying that id and the typed reply, on
##! this node's :zeek:see:`RedisBridge::reply_topic`. Ids are the script's
##! business; :zeek:see:`RedisBridge::next_request_id` hands out fresh ones.
##!
##! Keys of the typed operations get the bridge's namespace prefix
##! (``--commands.namespace``, ``zeek:kv:`` by default); keys and values are
##! byte strings, NUL bytes included. Operations published while the bridge
##! is not peered are lost (there is no backlog as for logs); operations
##! may run twice across a Redis outage (the bridge resends what Redis did
##! not answer), which matters for the counting ones.
##!
##! ``set`` is a keyword of the Zeek language, so storing a string is
##! :zeek:see:`RedisBridge::put`.

@load ./main
@load ./messages

module RedisBridge;

export {
	## Broker topic the operations are published on. It must lie under
	## the bridge's topic prefix (``--broker.topic``, ``zeek/redis/``).
	const commands_topic = "zeek/redis/commands" &redef;

	## Broker topic on which this node receives its replies. Empty means
	## ``zeek/redis/replies/<node>/`` (see :zeek:see:`RedisBridge::node_name`),
	## set in ``zeek_init``: each node gets the replies to its own
	## requests only. The trailing slash keeps ``worker-1`` from also
	## receiving the replies of ``worker-10``.
	const reply_topic = "" &redef;

	## Cluster node types that subscribe to their reply topic, i.e. the
	## types that can use replies. Nodes of other types can still send
	## fire-and-forget operations.
	const commands_node_types: set[Cluster::NodeType] = {
		Cluster::NONE,
		Cluster::LOGGER,
		Cluster::MANAGER,
		Cluster::PROXY,
		Cluster::WORKER,
	} &redef;

	## When :zeek:see:`RedisBridge::put` writes: always, only if the key
	## does not exist (Redis ``NX``), only if it exists (``XX``). With a
	## condition that is not met, Redis does not write and the reply is
	## :zeek:see:`RedisBridge::REPLY_NIL` (else the string ``OK``).
	type SetCondition: enum {
		SET_ALWAYS,
		SET_NX,
		SET_XX,
	};

	## The type of a Redis reply.
	type ReplyKind: enum {
		## Redis answered nil (a missing key, a write whose NX/XX
		## condition was not met).
		REPLY_NIL,
		## An integer (counters, DEL/SADD/... counts, 0/1 answers).
		REPLY_INTEGER,
		## A string: bulk strings and status replies such as ``OK``.
		REPLY_STRING,
		## An array (generic commands such as LRANGE or HGETALL).
		REPLY_ARRAY,
		## An error: from Redis (``WRONGTYPE ...``) or from the bridge,
		## which refuses with ``BADARG ...`` (wrong arguments),
		## ``REFUSED ...`` (a command off the allowlist) and
		## ``OVERLOAD ...`` (too many requests waiting for Redis).
		REPLY_ERROR,
	};

	## One element of an array reply. Nested arrays are flattened in
	## pre-order: an element of kind :zeek:see:`RedisBridge::REPLY_ARRAY`
	## has its number of elements in *integer*, and those elements follow
	## it (each followed by its own, if it is an array).
	type ReplyElement: record {
		kind: ReplyKind;
		## The integer; for an array, its number of elements.
		integer: int &optional;
		## The bytes of a string, or the error text.
		str: string &optional;
	};

	## A Redis reply.
	type Reply: record {
		kind: ReplyKind;
		## The integer; for an array, its number of elements.
		integer: int &optional;
		## The bytes of a string, or the error text.
		str: string &optional;
		## The elements of an array.
		elements: vector of ReplyElement &optional;
	};

	## The reply to the request with id *id*, raised on the node that
	## made the request.
	##
	## id: the request id the operation was given.
	##
	## r: what Redis (or the bridge, for a refused request) answered.
	global reply: event(id: count, r: Reply);

	## Returns a request id not used before on this node (1, 2, ...).
	global next_request_id: function(): count;

	## Stores *value* at *key* (Redis ``SET``), expiring after *ttl*
	## (0: never; rounded up to milliseconds), written only if *cond*
	## holds. Reply: ``OK``, or nil if *cond* did not hold.
	global put: function(key: string, value: string, ttl: interval &default=0sec,
	                     cond: SetCondition &default=SET_ALWAYS, id: count &default=0): bool;

	## Asks for the string at *key* (``GET``). Reply: the string, or nil.
	global get: function(key: string, id: count): bool;

	## Deletes *key* (``DEL``). Reply: 1 if it existed, else 0.
	global del: function(key: string, id: count &default=0): bool;

	## Makes *key* expire after *ttl*, which must be positive
	## (``PEXPIRE``); refreshes an existing TTL. Reply: 1, or 0 if the
	## key does not exist.
	global expire: function(key: string, ttl: interval, id: count &default=0): bool;

	## Adds *by* to the integer at *key* (``INCRBY``). Reply: the new value.
	global incrby: function(key: string, by: int, id: count &default=0): bool;

	## Sets *field* of the hash at *key* (``HSET``). Reply: 1 if the field is new.
	global hset: function(key: string, field: string, value: string,
	                      id: count &default=0): bool;

	## Adds *by* to *field* of the hash at *key* (``HINCRBY``). Reply: the new value.
	global hincrby: function(key: string, field: string, by: int, id: count &default=0): bool;

	## Asks for *field* of the hash at *key* (``HGET``). Reply: the string, or nil.
	global hget: function(key: string, field: string, id: count): bool;

	## Removes *field* from the hash at *key* (``HDEL``). Reply: 1 if it existed.
	global hdel: function(key: string, field: string, id: count &default=0): bool;

	## Adds *member* to the set at *key* (``SADD``). Reply: 1 if it is new.
	global sadd: function(key: string, member: string, id: count &default=0): bool;

	## Removes *member* from the set at *key* (``SREM``). Reply: 1 if it was there.
	global srem: function(key: string, member: string, id: count &default=0): bool;

	## Asks whether *member* is in the set at *key* (``SISMEMBER``). Reply: 1 or 0.
	global sismember: function(key: string, member: string, id: count): bool;

	## Adds *by* to the score of *member* in the sorted set at *key*
	## (``ZINCRBY``). Reply: the new score, as a string.
	global zincrby: function(key: string, member: string, by: double,
	                         id: count &default=0): bool;

	## Adds *element* to the HyperLogLog at *key* (``PFADD``), for
	## distinct counts in 12 KB per key. Reply: 1 if the estimate changed.
	global pfadd: function(key: string, element: string, id: count &default=0): bool;

	## Asks for the distinct count of the HyperLogLog at *key*
	## (``PFCOUNT``; about 0.8% standard error). Reply: the count.
	global pfcount: function(key: string, id: count): bool;

	## Pushes *value* onto the head of the list at *key* (``LPUSH``) and
	## keeps the newest *max_len* elements (``LTRIM``; 0: no cap).
	## Reply: the list's length after the push, before the trim.
	global lpush: function(key: string, value: string, max_len: count &default=0,
	                       id: count &default=0): bool;

	## Runs the Redis command *args* (name first, e.g.
	## ``vector("HGETALL", "mykey")``) if the bridge's allowlist admits
	## it (``--commands.allow``/``--commands.deny``; by default the data
	## commands, never administration or scripting). No namespace
	## prefix is applied: the bridge cannot know which arguments are
	## keys. Reply: whatever Redis answers, or a ``REFUSED`` error.
	global command: function(args: vector of string, id: count &default=0): bool;

	# The events on the wire (docs/protocol.md, "Commands"): the
	# operation's arguments, then the request id and the reply topic.
	global op_set: event(key: string, value: string, ttl: interval, cond: SetCondition,
	                     id: count, rtopic: string);
	global op_get: event(key: string, id: count, rtopic: string);
	global op_del: event(key: string, id: count, rtopic: string);
	global op_expire: event(key: string, ttl: interval, id: count, rtopic: string);
	global op_incrby: event(key: string, by: int, id: count, rtopic: string);
	global op_hset: event(key: string, field: string, value: string, id: count, rtopic: string);
	global op_hincrby: event(key: string, field: string, by: int, id: count, rtopic: string);
	global op_hget: event(key: string, field: string, id: count, rtopic: string);
	global op_hdel: event(key: string, field: string, id: count, rtopic: string);
	global op_sadd: event(key: string, member: string, id: count, rtopic: string);
	global op_srem: event(key: string, member: string, id: count, rtopic: string);
	global op_sismember: event(key: string, member: string, id: count, rtopic: string);
	global op_zincrby: event(key: string, member: string, by: double, id: count, rtopic: string);
	global op_pfadd: event(key: string, element: string, id: count, rtopic: string);
	global op_pfcount: event(key: string, id: count, rtopic: string);
	global op_lpush: event(key: string, value: string, max_len: count, id: count,
	                       rtopic: string);
	global op_command: event(args: vector of string, id: count, rtopic: string);
}

# The reply topic in use (reply_topic, or the per-node default).
global replies_to = "";

# The last request id handed out.
global last_request_id = 0;

# After main.zeek's zeek_init (priority 100, sets this_node) and before
# bridge.zeek peers (priority 0), so the subscription goes out with the
# peering.
event zeek_init() &priority=5
	{
	replies_to = reply_topic != "" ? reply_topic : fmt("zeek/redis/replies/%s/", this_node);

	if ( Cluster::local_node_type() in commands_node_types )
		receive_from_bridge(replies_to);
	}

function next_request_id(): count
	{
	++last_request_id;
	return last_request_id;
	}

# The topic to ask for a reply on: none for a fire-and-forget request.
function reply_to(id: count): string
	{
	return id == 0 ? "" : replies_to;
	}

function put(key: string, value: string, ttl: interval, cond: SetCondition, id: count): bool
	{
	return publish_event(commands_topic, op_set, key, value, ttl, cond, id, reply_to(id));
	}

function get(key: string, id: count): bool
	{
	return publish_event(commands_topic, op_get, key, id, reply_to(id));
	}

function del(key: string, id: count): bool
	{
	return publish_event(commands_topic, op_del, key, id, reply_to(id));
	}

function expire(key: string, ttl: interval, id: count): bool
	{
	return publish_event(commands_topic, op_expire, key, ttl, id, reply_to(id));
	}

function incrby(key: string, by: int, id: count): bool
	{
	return publish_event(commands_topic, op_incrby, key, by, id, reply_to(id));
	}

function hset(key: string, field: string, value: string, id: count): bool
	{
	return publish_event(commands_topic, op_hset, key, field, value, id, reply_to(id));
	}

function hincrby(key: string, field: string, by: int, id: count): bool
	{
	return publish_event(commands_topic, op_hincrby, key, field, by, id, reply_to(id));
	}

function hget(key: string, field: string, id: count): bool
	{
	return publish_event(commands_topic, op_hget, key, field, id, reply_to(id));
	}

function hdel(key: string, field: string, id: count): bool
	{
	return publish_event(commands_topic, op_hdel, key, field, id, reply_to(id));
	}

function sadd(key: string, member: string, id: count): bool
	{
	return publish_event(commands_topic, op_sadd, key, member, id, reply_to(id));
	}

function srem(key: string, member: string, id: count): bool
	{
	return publish_event(commands_topic, op_srem, key, member, id, reply_to(id));
	}

function sismember(key: string, member: string, id: count): bool
	{
	return publish_event(commands_topic, op_sismember, key, member, id, reply_to(id));
	}

function zincrby(key: string, member: string, by: double, id: count): bool
	{
	return publish_event(commands_topic, op_zincrby, key, member, by, id, reply_to(id));
	}

function pfadd(key: string, element: string, id: count): bool
	{
	return publish_event(commands_topic, op_pfadd, key, element, id, reply_to(id));
	}

function pfcount(key: string, id: count): bool
	{
	return publish_event(commands_topic, op_pfcount, key, id, reply_to(id));
	}

function lpush(key: string, value: string, max_len: count, id: count): bool
	{
	return publish_event(commands_topic, op_lpush, key, value, max_len, id, reply_to(id));
	}

function command(args: vector of string, id: count): bool
	{
	return publish_event(commands_topic, op_command, args, id, reply_to(id));
	}
