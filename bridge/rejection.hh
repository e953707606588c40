// Refusing bad input the same way everywhere: one log line naming the
// reason and what was wrong, and one increment of rejected{reason}. The
// reasons are listed in docs/protocol.md.
#pragma once

#include <string_view>

namespace zrb {

void reject(std::string_view reason, std::string_view detail);

}  // namespace zrb
