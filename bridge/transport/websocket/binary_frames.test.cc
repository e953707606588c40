#include "transport/websocket/binary_frames.hh"

#include <doctest/doctest.h>

#include <string>

using zrb::ws::FrameRewriter;

namespace {

// An unmasked server frame: FIN + opcode, then the length forms of RFC 6455.
std::string frame(unsigned char opcode, const std::string& payload, bool fin = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() < 65536) {
    f.push_back(static_cast<char>(126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    f.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
  }
  return f + payload;
}

// Feeds `bytes` in pieces of `step` bytes, as reads may split them.
std::string rewrite(std::string bytes, size_t step) {
  FrameRewriter r;
  for (size_t i = 0; i < bytes.size(); i += step)
    r.feed(reinterpret_cast<unsigned char*>(&bytes[i]), std::min(step, bytes.size() - i));
  return bytes;
}

}  // namespace

TEST_CASE("text frames become binary; everything else passes unchanged, however split") {
  // A payload that looks like frame headers (0x81) must not be touched.
  const std::string small(100, '\x81'), medium(300, '\x81'), large(70000, '\x81');
  const std::string in = frame(0x1, small) + frame(0x9, "ping") + frame(0x1, medium, false) +
                         frame(0x0, "cont") + frame(0x2, "bin") + frame(0x1, large) +
                         frame(0x1, "");
  const std::string want = frame(0x2, small) + frame(0x9, "ping") + frame(0x2, medium, false) +
                           frame(0x0, "cont") + frame(0x2, "bin") + frame(0x2, large) +
                           frame(0x2, "");
  for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{4096}, in.size()}) {
    INFO("step ", step);
    CHECK(rewrite(in, step) == want);
  }
}

TEST_CASE("a masked frame's key is skipped") {
  std::string f = "\x81\x83";
  f += std::string("\x81\x81\x81\x81", 4) + "abc";
  std::string g = rewrite(f + frame(0x1, "x"), 1);
  CHECK(g == std::string("\x82\x83\x81\x81\x81\x81", 6) + "abc" + frame(0x2, "x"));
}
