// What the fuzz targets drive: the bridge's Zeek -> Redis log path from a
// decoded event to the JSON line, without Redis (LogForwarder minus the
// writer). Schemas persist within one input so that a schema and a batch in
// the same input reach record_to_json.
#pragma once

#include <map>
#include <string>

#include "json/record_json.hh"
#include "logs/protocol.hh"

namespace zrb::fuzz {

class LogPath {
 public:
  /// Decodes `ev` and renders every record of a batch in every time format.
  void handle(Event&& ev);

 private:
  ProtocolLimits protocol_;
  ConvertLimits convert_;
  std::map<std::string, LogSchema> schemas_;  // by path; a handful per input
  std::string json_, why_;
};

}  // namespace zrb::fuzz
