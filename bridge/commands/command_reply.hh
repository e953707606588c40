// A Redis reply as the Zeek record RedisBridge::Reply (docs/protocol.md,
// "Commands"). Broker carries a record as a vector of its fields, an unset
// optional field as nil; Zeek 3.2 to 8.x turn such a vector into the
// record when the event's parameter has the record type.
//
//   Reply: [kind, integer, str, elements]
//     kind      enum RedisBridge::ReplyKind: REPLY_NIL, REPLY_INTEGER,
//               REPLY_STRING (bulk and status replies), REPLY_ARRAY,
//               REPLY_ERROR
//     integer   int: the integer; for an array its number of elements
//     str       string: the bytes of a string or status, the error text
//     elements  vector of ReplyElement ([kind, integer, str]) for an array:
//               nested arrays are flattened in pre-order, each one an
//               element of kind REPLY_ARRAY whose integer is its number
//               of direct elements, which follow it (each followed by its
//               own elements if it is an array itself).
//
// Flat rather than a Reply that holds Replies: a record type that refers to
// itself is not something every Zeek from 3.2 on declares and converts
// alike, and a flat vector of a plain record is.
#pragma once

#include <hiredis/hiredis.h>

#include <string>

#include "json/value.hh"

namespace zrb {

/// Name of the event that carries a reply: (id: count, reply: Reply).
inline constexpr std::string_view reply_event = "RedisBridge::reply";

/// The Reply record of `reply`.
Value reply_value(const redisReply& reply);

/// An error Reply with `text`, for requests the bridge refuses itself.
Value error_reply_value(std::string text);

}  // namespace zrb
