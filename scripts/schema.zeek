##! The columns of a log stream: the ``&log`` fields of its record type, in
##! the order Zeek's log writers write them (declaration order, descending
##! into ``&log`` fields of record type), with flattened names, type names
##! and the position of each value in the record. Computed once per stream;
##! this is the only place that loops over fields.

@load base/misc/version
@load ./main

module RedisBridge;

# Deepest nesting of &log record fields followed (Zeek's own log record
# types nest two or three levels).
const max_nesting = 16;

# The global name of the record type that type value *t* holds ("Conn::Info"),
# or "" for a record type without a name.
@if ( Version::number >= 40100 )
function record_type_name(t: any): string
	{
	local n = |record_fields(t)|;

	# Every name of the type; all aliases of a record type share its fields.
	for ( name in type_aliases(t) )
		if ( |record_fields(name)| == n )
			return name;

	return "";
	}
@else
function record_type_name(t: any): string
	{
	# Before 4.1 the description of a type value is the type's name.
	return cat(t);
	}
@endif

# The field names of record type *rt* in declaration order; *fields* is
# record_fields(rt).
@if ( Version::number >= 80000 )
function field_names(rt: string, fields: record_field_table): string_vec
	{
	# From 8.0 on record_fields() returns an ordered table.
	local names: string_vec = vector();

	for ( fname in fields )
		names[|names|] = fname;

	return names;
	}
@else
function field_names(rt: string, fields: record_field_table): string_vec
	{
	# Element 0 of record_type_to_vector() is unset; fields start at 1.
	local v = record_type_to_vector(rt);
	local names: string_vec = vector();
	local k = 1;

	while ( k < |v| )
		{
		names[|names|] = v[k];
		++k;
		}

	return names;
	}
@endif

# The protocol's spelling of a type name: Zeek 6.0 and later report enum
# types with their name ("enum transport_proto", "set[enum Notice::Type]"),
# earlier versions as plain "enum".
function column_type(type_name: string): string
	{
	return gsub(type_name, /enum [A-Za-z0-9_:]+/, "enum");
	}

# Appends the columns of record type *rt* to *cols*: *prefix* is the flattened
# name of the enclosing field ("" at the top), *idx* its position.
function add_columns(cols: vector of Column, rt: string, prefix: string,
                     idx: index_vec, depth: count)
	{
	if ( depth > max_nesting )
		{
		Reporter::warning(fmt("RedisBridge: log field %s nests too deep, left out", prefix));
		return;
		}

	local fields = record_fields(rt);
	local names = field_names(rt, fields);

	for ( i in names )
		{
		local f = fields[names[i]];

		if ( ! f$log )
			next;

		local name = prefix == "" ? names[i] : cat(prefix, ".", names[i]);
		local pos = copy(idx);
		pos[|pos|] = i;
		local tn = f$type_name;

		if ( sub_bytes(tn, 1, 7) != "record " )
			{
			cols[|cols|] = Column($name=name, $ztype=column_type(tn), $index=pos);
			next;
			}

		# A &log field of record type: its &log fields become columns.
		if ( |tn| <= 7 )
			{
			Reporter::warning(fmt("RedisBridge: log field %s has an unnamed record type, left out", name));
			next;
			}

		add_columns(cols, sub_bytes(tn, 8, |tn| - 7), name, pos, depth + 1);
		}
	}

## Returns the columns of a log stream whose column type is the type value
## *columns* (:zeek:see:`Log::Stream` ``$columns``); empty if the type has
## no name.
function build_columns(columns: any): vector of Column
	{
	local cols: vector of Column = vector();
	local rt = record_type_name(columns);

	if ( rt == "" )
		return cols;

	local root: index_vec = vector();
	add_columns(cols, rt, "", root, 0);
	return cols;
	}
