// The periodic one-line summary of the log: every counter and gauge.
#pragma once

#include <string>

namespace zrb {

/// "counters: name=value ... gauge{label}=value ..."
std::string summary_line();

}  // namespace zrb
