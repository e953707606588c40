// Conn log records shaped like real ones, for the benchmarks.
//
// The rows below are records of Zeek 3.2.4's conn.log from the shared corpus
// (zeek-3.2.4/<trace>/json/conn.log, exact doubles from the JSON twin). A
// benchmark replays them with the uid, ts and originator port varied per
// record, so Redis gets distinct entries and the JSON text differs from
// record to record the way real traffic does; every value keeps the shape
// (length, digits, set/unset fields) of a real record. Shared by the Broker
// publisher and by bench_pipeline, which build the same records in their own
// value types.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zrb_bench {

/// One row of conn.log as Zeek 3.2.4 logged it. Unset optional fields are
/// nullptr (strings), a negative number (duration) or -1 (byte counts).
struct ConnRow {
  double ts;
  const char* uid;
  const char* orig_h;
  uint16_t orig_p;
  const char* resp_h;
  uint16_t resp_p;
  const char* proto;
  const char* service;
  double duration;
  int64_t orig_bytes;
  int64_t resp_bytes;
  const char* conn_state;
  bool local_orig;
  bool local_resp;
  uint64_t missed_bytes;
  const char* history;
  uint64_t orig_pkts;
  uint64_t orig_ip_bytes;
  uint64_t resp_pkts;
  uint64_t resp_ip_bytes;
};

// clang-format off
inline constexpr ConnRow conn_rows[] = {
    {1463559350.492846, "CHhAvVGS1DHFjwGM9", "192.168.90.10", 64006, "192.168.120.21", 53, "udp", "dns", -1.0, -1, -1, "SHR", true, true, 0, "^d", 0, 0, 1, 210},  // dns-edns-ecs
    {1534836769.263573, "CP5puj4I8PtEU4qzYg", "192.168.120.22", 58982, "209.112.114.33", 53, "udp", "dns", -1.0, -1, -1, "SHR", true, false, 0, "^d", 0, 0, 1, 489},  // dns-edns-ecs
    {1534836797.840578, "C7fIlMZDuRiqjpYbb", "192.168.120.22", 56522, "213.248.220.1", 53, "udp", "dns", -1.0, -1, -1, "SHR", true, false, 0, "^d", 0, 0, 1, 453},  // dns-edns-ecs
    {1534836798.006418, "CiyBAq1bBLNaTiTAc", "2003:de:2016:120::a08:53", 56217, "2600:9000:5305:fb00::1", 53, "udp", "dns", -1.0, -1, -1, "SHR", false, false, 0, "^d", 0, 0, 1, 398},  // dns-edns-ecs
    {1534836798.032914, "C8rquZ3DjgNW06JGLl", "192.168.120.22", 37692, "37.209.192.2", 53, "udp", "dns", -1.0, -1, -1, "SHR", true, false, 0, "^d", 0, 0, 1, 105},  // dns-edns-ecs
    {1534836798.048535, "CzmEfj4RValNyLfT58", "2003:de:2016:120::a08:53", 47541, "2600:9000:5301:4800::1", 53, "udp", "dns", -1.0, -1, -1, "SHR", false, false, 0, "^d", 0, 0, 1, 386},  // dns-edns-ecs
    {1534836798.332857, "CD7vfu1qu4YJKe1nGi", "192.168.120.22", 42127, "205.251.197.93", 53, "udp", "dns", -1.0, -1, -1, "SHR", true, false, 0, "^d", 0, 0, 1, 375},  // dns-edns-ecs
    {1534836769.271918, "C37jN32gN3y3AZzyf6", "192.168.120.22", 56653, "209.112.114.33", 53, "tcp", "dns", -1.0, -1, -1, "OTH", true, false, 0, "^d", 0, 0, 1, 799},  // dns-edns-ecs
    {1534836797.862226, "CBA8792iHmnhPLksKa", "192.168.120.22", 54287, "213.248.220.1", 53, "tcp", "dns", -1.0, -1, -1, "OTH", true, false, 0, "^d", 0, 0, 1, 899},  // dns-edns-ecs
    {1558968021.027052, "C0JEpR1Ij6308CwEhh", "74.125.47.136", 59330, "193.24.227.238", 53, "udp", "dns", -1.0, -1, -1, "SHR", false, false, 0, "^d", 0, 0, 1, 1730},  // dns-edns-ecs
    {1463559987.694246, "CtPZjS20MLrsMUOJi2", "74.125.73.83", 45796, "192.168.90.10", 53, "udp", "dns", -1.0, -1, -1, "SHR", false, true, 0, "^d", 0, 0, 1, 962},  // dns-edns-ecs
    {1534836769.258504, "CmES5u32sYpV7JYN", "192.168.120.22", 53444, "193.0.9.7", 53, "udp", "dns", -1.0, -1, -1, "SHR", true, false, 0, "^d", 0, 0, 1, 446},  // dns-edns-ecs
    {1389721044.820046, "CHhAvVGS1DHFjwGM9", "192.168.56.1", 54017, "192.168.56.101", 21, "tcp", "ftp", 2.3727710247039795, 24, 137, "SF", true, true, 0, "ShAdDaFf", 11, 608, 9, 613},  // ftp_bruteforce
    {1389721055.350488, "CmES5u32sYpV7JYN", "192.168.56.1", 54022, "192.168.56.101", 21, "tcp", "ftp", 1.8857300281524658, 24, 137, "SF", true, true, 0, "ShAdDaFf", 11, 608, 9, 613},  // ftp_bruteforce
    {1389721065.172075, "C0LAHyvtKSQHyJxIl", "192.168.56.1", 54027, "192.168.56.101", 21, "tcp", "ftp", 1.9249379634857178, 25, 137, "SF", true, true, 0, "ShAdDaFf", 11, 609, 9, 613},  // ftp_bruteforce
    {1389721075.093323, "CNnMIj2QSd84NKf7U3", "192.168.56.1", 54034, "192.168.56.101", 21, "tcp", "ftp", 1.2977380752563477, 25, 137, "SF", true, true, 0, "ShAdDaFf", 11, 609, 9, 613},  // ftp_bruteforce
    {1389721084.530485, "C1Xkzz2MaGtLrc1Tla", "192.168.56.1", 54039, "192.168.56.101", 21, "tcp", "ftp", 2.2007269859313965, 25, 137, "SF", true, true, 0, "ShAdDaFf", 11, 609, 9, 613},  // ftp_bruteforce
    {1389721094.639235, "CiyBAq1bBLNaTiTAc", "192.168.56.1", 54044, "192.168.56.101", 21, "tcp", "ftp", 1.5746049880981445, 25, 137, "SF", true, true, 0, "ShAdDaFf", 11, 609, 9, 613},  // ftp_bruteforce
    {1389719042.006633, "CUM0KZ3MLUfNB0cl11", "10.0.2.15", 55083, "192.150.187.43", 80, "tcp", "http", 5.39165997505188, 839, 17540, "SF", true, false, 0, "ShADadfF", 16, 1499, 21, 18384},  // http_bro.org
    {1389719042.006181, "CtPZjS20MLrsMUOJi2", "10.0.2.15", 55082, "192.150.187.43", 80, "tcp", "http", 5.392215967178345, 844, 20292, "SF", true, false, 0, "ShADadfF", 22, 1744, 31, 21536},  // http_bro.org
    {1389719042.007579, "CmES5u32sYpV7JYN", "10.0.2.15", 55085, "192.150.187.43", 80, "tcp", "http", 5.391095876693726, 819, 32910, "SF", true, false, 0, "ShADadfF", 24, 1799, 39, 34474},  // http_bro.org
    {1389719042.004547, "ClEkJM2Vm5giqnMf4h", "10.0.2.15", 55080, "192.150.187.43", 80, "tcp", "http", 8.118467807769775, 1741, 235084, "SF", true, false, 0, "ShADadfF", 76, 4801, 239, 244648},  // http_bro.org
    {1389719041.819644, "CHhAvVGS1DHFjwGM9", "10.0.2.15", 55079, "192.150.187.43", 80, "tcp", "http", 8.303571939468384, 1932, 83457, "SF", true, false, 0, "ShADadfF", 45, 3752, 88, 86981},  // http_bro.org
    {1389719042.005362, "C4J4Th3PJpwUYZZ6gc", "10.0.2.15", 55081, "192.150.187.43", 80, "tcp", "http", 8.194231033325195, 1709, 55545, "SF", true, false, 7240, "ShADadgfF", 30, 2929, 58, 50629},  // http_bro.org
    {1389719050.348896, "CP5puj4I8PtEU4qzYg", "10.0.2.15", 55120, "192.150.187.43", 80, "tcp", "http", 5.411318063735962, 654, 2585, "SF", true, false, 0, "ShADadfF", 8, 994, 8, 2909},  // http_bro.org
    {1389719053.175317, "C37jN32gN3y3AZzyf6", "10.0.2.15", 55127, "192.150.187.43", 80, "tcp", "http", 3.860106945037842, 347, 4213, "S1", true, false, 0, "ShADad", 6, 607, 5, 4417},  // http_bro.org
    {1389719053.184706, "C3eiCBGOLw3VtHfOj", "10.0.2.15", 55128, "192.150.187.43", 80, "tcp", nullptr, 6.126936912536621, 0, 0, "SF", true, false, 0, "ShAFaf", 4, 180, 3, 124},  // http_bro.org
    {1389719053.185297, "CwjjYJ2WqgTbAqiHl6", "10.0.2.15", 55129, "192.150.187.43", 80, "tcp", nullptr, 6.126389980316162, 0, 0, "SF", true, false, 0, "ShAFaf", 4, 180, 3, 124},  // http_bro.org
    {1427726689.213953, "CHhAvVGS1DHFjwGM9", "192.168.56.1", 55470, "192.168.56.103", 22, "tcp", "ssh", 8.219155073165894, 2885, 2448, "SF", true, true, 0, "ShADadFf", 26, 4249, 19, 3444},  // ssh_sshguess
    {1427726698.242001, "ClEkJM2Vm5giqnMf4h", "192.168.56.1", 55471, "192.168.56.103", 22, "tcp", "ssh", 4.696400880813599, 2581, 2336, "SF", true, true, 0, "ShADadFf", 22, 3737, 15, 3124},  // ssh_sshguess
    {1427726703.853755, "C4J4Th3PJpwUYZZ6gc", "192.168.56.1", 55472, "192.168.56.103", 22, "tcp", "ssh", 3.6405909061431885, 2581, 2336, "SF", true, true, 0, "ShADadFf", 22, 3737, 15, 3124},  // ssh_sshguess
    {1427726708.60108, "CtPZjS20MLrsMUOJi2", "192.168.56.1", 55473, "192.168.56.103", 22, "tcp", "ssh", 3.5756659507751465, 2581, 2336, "SF", true, true, 0, "ShADadFf", 22, 3737, 15, 3124},  // ssh_sshguess
    {1427726713.139576, "CUM0KZ3MLUfNB0cl11", "192.168.56.1", 55474, "192.168.56.103", 22, "tcp", "ssh", 6.225541114807129, 2733, 2392, "SF", true, true, 0, "ShADadFf", 24, 3993, 17, 3284},  // ssh_sshguess
    {1427726720.292474, "CmES5u32sYpV7JYN", "192.168.56.1", 55475, "192.168.56.103", 22, "tcp", "ssh", 10.017819881439209, 2885, 2448, "SF", true, true, 0, "ShADadFf", 26, 4249, 19, 3444},  // ssh_sshguess
    {1300475167.096535, "CHhAvVGS1DHFjwGM9", "141.142.220.202", 5353, "224.0.0.251", 5353, "udp", "dns", -1.0, -1, -1, "S0", false, false, 0, "D", 1, 73, 0, 0},  // wikipedia
    {1300475167.099816, "C4J4Th3PJpwUYZZ6gc", "141.142.220.50", 5353, "224.0.0.251", 5353, "udp", "dns", -1.0, -1, -1, "S0", false, false, 0, "D", 1, 179, 0, 0},  // wikipedia
    {1300475168.854378, "CP5puj4I8PtEU4qzYg", "141.142.220.118", 37676, "141.142.2.2", 53, "udp", "dns", 0.0004200935363769531, 52, 99, "SF", false, false, 0, "Dd", 1, 80, 1, 127},  // wikipedia
    {1300475168.857956, "C0LAHyvtKSQHyJxIl", "141.142.220.118", 32902, "141.142.2.2", 53, "udp", "dns", 0.0003170967102050781, 38, 89, "SF", false, false, 0, "Dd", 1, 66, 1, 117},  // wikipedia
    {1300475168.858713, "C9rXSW3KSpTYvPrlI1", "141.142.220.118", 59714, "141.142.2.2", 53, "udp", "dns", 0.0003750324249267578, 38, 183, "SF", false, false, 0, "Dd", 1, 66, 1, 211},  // wikipedia
    {1300475168.892037, "CNnMIj2QSd84NKf7U3", "141.142.220.118", 38911, "141.142.2.2", 53, "udp", "dns", 0.0003349781036376953, 52, 99, "SF", false, false, 0, "Dd", 1, 80, 1, 127},  // wikipedia
    {1300475168.893988, "CpmdRlaUoJLN3uIRa", "141.142.220.118", 45000, "141.142.2.2", 53, "udp", "dns", 0.0003840923309326172, 38, 89, "SF", false, false, 0, "Dd", 1, 66, 1, 117},  // wikipedia
    {1300475168.894787, "CqlVyW1YwZ15RhTBc4", "141.142.220.118", 48128, "141.142.2.2", 53, "udp", "dns", 0.0004229545593261719, 38, 183, "SF", false, false, 0, "Dd", 1, 66, 1, 211},  // wikipedia
    {1300475168.902195, "CGLPPc35OzDQij1XX8", "141.142.220.118", 55092, "141.142.2.2", 53, "udp", "dns", 0.00037407875061035156, 36, 198, "SF", false, false, 0, "Dd", 1, 64, 1, 226},  // wikipedia
    {1300475170.862384, "CV5WJ42jPYbNW9JNWf", "141.142.220.226", 137, "141.142.220.255", 137, "udp", "dns", 2.6130168437957764, 350, 0, "S0", false, false, 0, "D", 7, 546, 0, 0},  // wikipedia
    {1300475171.677081, "CAnFrb2Cvxr5T7quOc", "141.142.220.226", 55131, "224.0.0.252", 5355, "udp", "dns", 0.1000208854675293, 66, 0, "S0", false, false, 0, "D", 2, 122, 0, 0},  // wikipedia
    {1300475173.117362, "CzrZOtXqhwwndQva3", "141.142.220.226", 55671, "224.0.0.252", 5355, "udp", "dns", 0.09984898567199707, 66, 0, "S0", false, false, 0, "D", 2, 122, 0, 0},  // wikipedia
    {1300475167.097012, "ClEkJM2Vm5giqnMf4h", "fe80::217:f2ff:fed7:cf65", 5353, "ff02::fb", 5353, "udp", "dns", -1.0, -1, -1, "S0", false, false, 0, "D", 1, 199, 0, 0},  // wikipedia
    {1300475169.899438, "Cipfzj1BEnhejw8cGf", "141.142.220.44", 5353, "224.0.0.251", 5353, "udp", "dns", -1.0, -1, -1, "S0", false, false, 0, "D", 1, 85, 0, 0},  // wikipedia
};
// clang-format on

inline constexpr size_t conn_row_count = sizeof(conn_rows) / sizeof(conn_rows[0]);

/// One column of a log schema as docs/protocol.md sends it.
struct SchemaColumn {
  const char* name;
  const char* ztype;
  std::vector<uint64_t> index;
};

/// The columns of Zeek 3.2.4's conn.log, in the writer's order, with the
/// position of each value in the Conn::Info record (`id` is the nested
/// conn_id record at position 2).
inline std::vector<SchemaColumn> conn_schema() {
  return {
      {"ts", "time", {0}},
      {"uid", "string", {1}},
      {"id.orig_h", "addr", {2, 0}},
      {"id.orig_p", "port", {2, 1}},
      {"id.resp_h", "addr", {2, 2}},
      {"id.resp_p", "port", {2, 3}},
      {"proto", "enum", {3}},
      {"service", "string", {4}},
      {"duration", "interval", {5}},
      {"orig_bytes", "count", {6}},
      {"resp_bytes", "count", {7}},
      {"conn_state", "string", {8}},
      {"local_orig", "bool", {9}},
      {"local_resp", "bool", {10}},
      {"missed_bytes", "count", {11}},
      {"history", "string", {12}},
      {"orig_pkts", "count", {13}},
      {"orig_ip_bytes", "count", {14}},
      {"resp_pkts", "count", {15}},
      {"resp_ip_bytes", "count", {16}},
      {"tunnel_parents", "set[string]", {17}},
  };
}

/// The one column of the `string300` shape: the cheapest record there is
/// to convert, for comparison with conn.
inline std::vector<SchemaColumn> string300_schema() {
  return {{"msg", "string", {0}}};
}

/// Zeek's conversion of a time or interval (a double of seconds) to Broker's
/// nanoseconds: the product truncated toward zero, in double arithmetic.
inline int64_t zeek_ns(double seconds) {
  return static_cast<int64_t>(seconds * 1e9);
}

/// An address as 16 bytes, IPv4 v4-mapped (as Broker and zrb::Address keep it).
inline std::array<uint8_t, 16> parse_address(const char* text) {
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text, &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
  } else if (inet_pton(AF_INET6, text, &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
  } else {
    throw std::invalid_argument(std::string("not an address: ") + text);
  }
  return out;
}

/// The values of conn record number `k`: row k % conn_row_count with its
/// uid, ts and originator port made unique to k.
struct ConnRecord {
  int64_t ts_ns;
  std::string uid;
  std::array<uint8_t, 16> orig_h;
  uint16_t orig_p;
  std::array<uint8_t, 16> resp_h;
  uint16_t resp_p;
  const char* proto;
  const char* service;
  std::optional<int64_t> duration_ns;
  int64_t orig_bytes;
  int64_t resp_bytes;
  const char* conn_state;
  bool local_orig;
  bool local_resp;
  uint64_t missed_bytes;
  const char* history;
  uint64_t orig_pkts;
  uint64_t orig_ip_bytes;
  uint64_t resp_pkts;
  uint64_t resp_ip_bytes;
};

/// splitmix64: a cheap, well-mixed function of k for the uid characters.
inline uint64_t mix(uint64_t k) {
  k += 0x9e3779b97f4a7c15ULL;
  k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9ULL;
  k = (k ^ (k >> 27)) * 0x94d049bb133111ebULL;
  return k ^ (k >> 31);
}

inline ConnRecord conn_record(uint64_t k) {
  const ConnRow& row = conn_rows[k % conn_row_count];
  const uint64_t cycle = k / conn_row_count;
  ConnRecord r;
  // ts: the row's microseconds plus 137 us per cycle, then Zeek's own
  // double -> nanoseconds step, so the bridge meets real truncation.
  const auto ts_us =
      static_cast<int64_t>(std::llround(row.ts * 1e6)) + static_cast<int64_t>(cycle) * 137;
  r.ts_ns = zeek_ns(static_cast<double>(ts_us) / 1e6);
  // uid: same length as the row's, 'C' then base62 characters of mix(k).
  static constexpr char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  r.uid.assign(std::strlen(row.uid), 'C');
  uint64_t bits = mix(k);
  for (size_t i = 1; i < r.uid.size(); ++i) {
    if (bits < 62) bits = mix(bits + k + i);
    r.uid[i] = base62[bits % 62];
    bits /= 62;
  }
  r.orig_h = parse_address(row.orig_h);
  r.orig_p = static_cast<uint16_t>(1024 + (row.orig_p + cycle * 7) % 64511);
  r.resp_h = parse_address(row.resp_h);
  r.resp_p = row.resp_p;
  r.proto = row.proto;
  r.service = row.service;
  if (row.duration >= 0) r.duration_ns = zeek_ns(row.duration);
  r.orig_bytes = row.orig_bytes;
  r.resp_bytes = row.resp_bytes;
  r.conn_state = row.conn_state;
  r.local_orig = row.local_orig;
  r.local_resp = row.local_resp;
  r.missed_bytes = row.missed_bytes;
  r.history = row.history;
  r.orig_pkts = row.orig_pkts;
  r.orig_ip_bytes = row.orig_ip_bytes;
  r.resp_pkts = row.resp_pkts;
  r.resp_ip_bytes = row.resp_ip_bytes;
  return r;
}

/// The `string300` record number `k`: 300 printable bytes that differ per k.
inline std::string string300_record(uint64_t k) {
  std::string s(300, 'x');
  auto digits = std::to_string(k);
  std::memcpy(s.data(), digits.data(), digits.size());
  for (size_t i = digits.size(); i < s.size(); ++i) s[i] = static_cast<char>('a' + (k + i) % 26);
  return s;
}

}  // namespace zrb_bench
