#include "base/host_port.hh"

#include <doctest/doctest.h>

using zrb::split_host_port;

TEST_CASE("split_host_port") {
  std::string host;
  uint16_t port = 1;
  CHECK(split_host_port("127.0.0.1:9999", host, port));
  CHECK(host == "127.0.0.1");
  CHECK(port == 9999);
  CHECK(split_host_port("[::1]:0", host, port));
  CHECK(host == "::1");
  CHECK(port == 0);
  CHECK(split_host_port("zeek-manager:47761", host, port));
  CHECK(host == "zeek-manager");
  host = "unchanged";
  CHECK_FALSE(split_host_port("127.0.0.1", host, port));
  CHECK_FALSE(split_host_port("::1:99", host, port));
  CHECK_FALSE(split_host_port("host:65536", host, port));
  CHECK_FALSE(split_host_port("host:12x", host, port));
  CHECK_FALSE(split_host_port(":99", host, port));
  CHECK_FALSE(split_host_port("[::1]99", host, port));
  CHECK(host == "unchanged");
}
