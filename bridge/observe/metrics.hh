// The bridge's counters, gauges and histograms in Prometheus' text
// exposition format 0.0.4 (what /metrics serves).
//
// Counters are registered as (name, label value) (counters.hh); what the
// label is called, and the help text, come from a table here, so the code
// that counts stays one line. A counter missing from the table is still
// exported, as zrb_<name>_total{label="..."} with a generic help line.
// docs/metrics.md lists every metric.
#pragma once

#include <string>
#include <string_view>

#include "observe/counters.hh"
#include "observe/gauges.hh"
#include "observe/histogram.hh"

namespace zrb {

/// A label value as the exposition format wants it: `\`, `"` and newline
/// escaped. Label values are data (log paths, channels), so bytes that are
/// not UTF-8 are written `\xNN` (with the backslash escaped) to keep the
/// page valid UTF-8.
std::string escape_label_value(std::string_view value);

/// The whole page.
std::string render_metrics(const Counters& counters, const Gauges& gauges,
                           const Histograms& histograms);

/// The page of the process-wide registries.
std::string render_metrics();

/// The content type of the page.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace zrb
