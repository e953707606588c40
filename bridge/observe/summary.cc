#include "observe/summary.hh"

#include <sstream>

#include "observe/counters.hh"
#include "observe/gauges.hh"

namespace zrb {

std::string summary_line() {
  std::ostringstream os;
  os << "counters:";
  for (const auto& [name, value] : counters().snapshot()) os << ' ' << name << '=' << value;
  // Gauges too (peers connected, buffer depth): the line is the summary.
  for (const auto& g : gauges().snapshot())
    os << ' ' << g.name << (g.label.empty() ? "" : "{" + g.label + "}") << '=' << g.value;
  return os.str();
}

}  // namespace zrb
