#include "json/ip_text.hh"

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <string>

using namespace zrb;

namespace {

// Independent of parse_address: the bytes straight from inet_pton.
Address v6(const char* text) {
  Address a;
  REQUIRE(inet_pton(AF_INET6, text, a.bytes.data()) == 1);
  return a;
}

bool address_fails(std::string_view text) {
  Address a = Address::v4(9, 9, 9, 9);
  const bool ok = parse_address(text, a);
  CHECK(a == Address::v4(9, 9, 9, 9));  // untouched on failure
  return !ok;
}

bool subnet_fails(std::string_view text) {
  Subnet s{Address::v4(9, 9, 9, 9), 7};
  const bool ok = parse_subnet(text, s);
  CHECK(s == Subnet{Address::v4(9, 9, 9, 9), 7});
  return !ok;
}

Subnet subnet(std::string_view text) {
  Subnet s;
  CHECK_MESSAGE(parse_subnet(text, s), text);
  return s;
}

}  // namespace

TEST_CASE("ip_text: IPv4, IPv6 and v4-mapped addresses") {
  Address a;
  REQUIRE(parse_address("198.51.100.7", a));
  CHECK(a == Address::v4(198, 51, 100, 7));
  CHECK(a.is_v4());
  REQUIRE(parse_address("0.0.0.0", a));
  CHECK(a == Address::v4(0, 0, 0, 0));
  REQUIRE(parse_address("255.255.255.255", a));
  CHECK(a == Address::v4(255, 255, 255, 255));

  REQUIRE(parse_address("2001:db8::1", a));
  CHECK(a == v6("2001:db8::1"));
  CHECK(!a.is_v4());
  REQUIRE(parse_address("::", a));
  CHECK(a == v6("::"));
  REQUIRE(parse_address("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", a));  // longest text
  CHECK(a == v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

  // Written in IPv6 notation, a v4-mapped address is the IPv4 address.
  REQUIRE(parse_address("::ffff:192.0.2.1", a));
  CHECK(a == Address::v4(192, 0, 2, 1));
  REQUIRE(parse_address("::FFFF:c000:201", a));
  CHECK(a == Address::v4(192, 0, 2, 1));
  // IPv4-compatible is not v4-mapped.
  REQUIRE(parse_address("::192.0.2.1", a));
  CHECK(!a.is_v4());
}

TEST_CASE("ip_text: what is not exactly an address") {
  CHECK(address_fails(""));
  CHECK(address_fails("1.2.3"));
  CHECK(address_fails("1.2.3.256"));
  CHECK(address_fails("1.2.3.4.5"));
  CHECK(address_fails(" 1.2.3.4"));
  CHECK(address_fails("1.2.3.4 "));
  CHECK(address_fails("1.2.3.4/32"));
  CHECK(address_fails("1.2.3.4:80"));
  CHECK(address_fails("fe80::1%eth0"));
  CHECK(address_fails("[::1]"));
  CHECK(address_fails("2001:db8:::1"));
  CHECK(address_fails("1:2:3:4:5:6:7:8:9"));
  CHECK(address_fails("evil.example"));
  CHECK(address_fails(std::string_view("1.2.3.4\0x", 9)));  // inet_pton would stop at the NUL
  CHECK(address_fails(std::string(46, '1')));               // longer than any address
}

TEST_CASE("ip_text: subnets, host bits masked") {
  CHECK(subnet("203.0.113.0/24") == Subnet{Address::v4(203, 0, 113, 0), 24});
  CHECK(subnet("203.0.113.77/24") == Subnet{Address::v4(203, 0, 113, 0), 24});
  CHECK(subnet("203.0.113.77/25") == Subnet{Address::v4(203, 0, 113, 0), 25});
  CHECK(subnet("203.0.113.255/25") == Subnet{Address::v4(203, 0, 113, 128), 25});
  CHECK(subnet("10.255.255.255/9") == Subnet{Address::v4(10, 128, 0, 0), 9});
  CHECK(subnet("1.2.3.4/32") == Subnet{Address::v4(1, 2, 3, 4), 32});
  CHECK(subnet("1.2.3.4/0") == Subnet{Address::v4(0, 0, 0, 0), 0});
  CHECK(subnet("1.2.3.4/08") == Subnet{Address::v4(1, 0, 0, 0), 8});

  CHECK(subnet("2001:db8:ffff::1/32") == Subnet{v6("2001:db8::"), 32});
  CHECK(subnet("2001:db8::1/127") == Subnet{v6("2001:db8::"), 127});
  CHECK(subnet("2001:db8::1/128") == Subnet{v6("2001:db8::1"), 128});
  CHECK(subnet("ffff::/1") == Subnet{v6("8000::"), 1});
  CHECK(subnet("::1/0") == Subnet{v6("::"), 0});

  // After an IPv6-notation network the length counts all 128 bits, as in a
  // Zeek subnet literal; a result inside ::ffff:0:0/96 is an IPv4 subnet.
  CHECK(subnet("::ffff:10.1.2.3/104") == Subnet{Address::v4(10, 0, 0, 0), 8});
  CHECK(subnet("::ffff:10.1.2.3/128") == Subnet{Address::v4(10, 1, 2, 3), 32});
  CHECK(subnet("::ffff:10.1.2.3/96") == Subnet{Address::v4(0, 0, 0, 0), 0});
  CHECK(subnet("::ffff:10.1.2.3/95") == Subnet{v6("::fffe:0:0"), 95});
  CHECK(subnet("::ffff:10.1.2.3/64") == Subnet{v6("::"), 64});
}

TEST_CASE("ip_text: what is not net/len") {
  CHECK(subnet_fails("1.2.3.4"));
  CHECK(subnet_fails("1.2.3.4/"));
  CHECK(subnet_fails("/24"));
  CHECK(subnet_fails("1.2.3.4/33"));
  CHECK(subnet_fails("1.2.3.4/100"));
  CHECK(subnet_fails("::/129"));
  CHECK(subnet_fails("::ffff:1.2.3.4/129"));
  CHECK(subnet_fails("1.2.3.4/-1"));
  CHECK(subnet_fails("1.2.3.4/+8"));
  CHECK(subnet_fails("1.2.3.4/ 8"));
  CHECK(subnet_fails("1.2.3.4/8 "));
  CHECK(subnet_fails("1.2.3.4/0x8"));
  CHECK(subnet_fails("1.2.3.4/0008"));
  CHECK(subnet_fails("1.2.3.4/24/1"));
  CHECK(subnet_fails("1.2.3/24"));
  CHECK(subnet_fails("net/24"));
  CHECK(subnet_fails("1.2.3.4/4294967320"));  // 2^32 + 24 must not wrap to 24
}
