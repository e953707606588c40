#include "json/address_text.hh"

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <string>

using namespace zrb;

namespace {

Address parse(const char* text) {
  Address a;
  REQUIRE(inet_pton(AF_INET6, text, a.bytes.data()) == 1);
  return a;
}

std::string text(const Address& a) {
  std::string s;
  append_address(s, a);
  return s;
}

std::string subnet(const Address& a, uint8_t length) {
  std::string s;
  REQUIRE(append_subnet(s, Subnet{a, length}));
  return s;
}

}  // namespace

TEST_CASE("address_text: IPv4 addresses are dotted quads") {
  CHECK(text(Address::v4(141, 142, 220, 202)) == "141.142.220.202");
  CHECK(text(Address::v4(0, 0, 0, 0)) == "0.0.0.0");
  CHECK(text(Address::v4(255, 255, 255, 255)) == "255.255.255.255");
  CHECK(text(parse("::ffff:10.0.2.15")) == "10.0.2.15");  // the v4-mapped form itself
}

TEST_CASE("address_text: IPv6 compressed like Zeek's inet_ntop") {
  CHECK(text(parse("fe80::217:f2ff:fed7:cf65")) == "fe80::217:f2ff:fed7:cf65");
  CHECK(text(parse("ff02:0:0:0:0:0:0:fb")) == "ff02::fb");
  CHECK(text(parse("::")) == "::");
  CHECK(text(parse("::1")) == "::1");
  CHECK(text(parse("1::")) == "1::");
  CHECK(text(parse("2001:0db8:0000:0000:0000:0000:0000:0001")) == "2001:db8::1");
  // The first of two equally long runs is compressed.
  CHECK(text(parse("2001:db8:0:0:1:0:0:1")) == "2001:db8::1:0:0:1");
  // The longest run wins over an earlier shorter one.
  CHECK(text(parse("2001:0:0:1:0:0:0:1")) == "2001:0:0:1::1");
  // A single zero group is not compressed.
  CHECK(text(parse("1:0:2:0:3:0:4:0")) == "1:0:2:0:3:0:4:0");
  CHECK(text(parse("1:2:3:4:5:6:7:0")) == "1:2:3:4:5:6:7:0");
  CHECK(text(parse("0:0:1:0:0:0:0:0")) == "0:0:1::");
  CHECK(text(parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) ==
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST_CASE("address_text: forms with an embedded IPv4 address") {
  CHECK(text(parse("::1.2.3.4")) == "::1.2.3.4");  // IPv4-compatible
  CHECK(text(parse("::2")) == "::2");              // the rule for a run of seven never applies
  CHECK(text(parse("::ffff:0:1.2.3.4")) == "::ffff:0:1.2.3.4");  // IPv4-translated
  CHECK(text(parse("::1:0:0")) == "::1:0:0");                    // not one of them
  CHECK(text(parse("64:ff9b::1.2.3.4")) == "64:ff9b::102:304");
}

TEST_CASE("address_text: subnets") {
  CHECK(subnet(Address::v4(10, 0, 0, 0), 8) == "10.0.0.0/8");
  CHECK(subnet(Address::v4(10, 1, 2, 3), 8) == "10.0.0.0/8");  // masked as Zeek holds it
  CHECK(subnet(Address::v4(192, 168, 1, 255), 23) == "192.168.0.0/23");
  CHECK(subnet(Address::v4(1, 2, 3, 4), 32) == "1.2.3.4/32");
  CHECK(subnet(Address::v4(1, 2, 3, 4), 0) == "0.0.0.0/0");
  CHECK(subnet(parse("2001:db8:1::"), 32) == "2001:db8::/32");
  CHECK(subnet(parse("2001:db8::ff"), 127) == "2001:db8::fe/127");
  CHECK(subnet(parse("::"), 0) == "::/0");
  CHECK(subnet(parse("fe80::1"), 128) == "fe80::1/128");

  std::string s = "x";
  CHECK_FALSE(append_subnet(s, Subnet{Address::v4(1, 2, 3, 4), 33}));
  CHECK_FALSE(append_subnet(s, Subnet{parse("::1"), 129}));
  CHECK(s == "x");
}
