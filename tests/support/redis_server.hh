// For tests only: a real redis-server on a free loopback port, in a
// temporary directory of its own, stopped and removed when the object goes.
//
//   zrb::test::RedisServer redis;                       // plain
//   zrb::test::RedisServer redis({"--requirepass", "s3cret"});
//   auto client = redis.client();                       // a RedisContext
//   redis.kill(); redis.start();                        // crash, restart
//
// The server runs without persistence (`--save '' --appendonly no`) unless
// the extra arguments say otherwise; later arguments win in redis-server.
// `redis-server` is found on PATH, or named by $ZRB_REDIS_SERVER.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "redis/redis_context.hh"
#include "redis/redis_url.hh"

extern char** environ;

namespace zrb::test {

class RedisServer {
 public:
  enum Listen { tcp_only, with_unix_socket };

  /// Starts redis-server with `extra_args` appended, listening on loopback
  /// TCP and, with `with_unix_socket`, on socket_path(); throws if it cannot.
  explicit RedisServer(std::vector<std::string> extra_args = {}, Listen listen = tcp_only)
      : extra_args_(std::move(extra_args)), unix_socket_(listen == with_unix_socket) {
    // The tests kill servers under live connections; a write to such a
    // socket must fail with EPIPE, not end the test binary.
    ::signal(SIGPIPE, SIG_IGN);
    std::string pattern = (std::filesystem::temp_directory_path() / "zrb-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    // Another process may take the port between probing and binding; then
    // the server exits at once and another port is tried.
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      if (launch()) return;
    }
    throw std::runtime_error("redis-server did not start: " + log_tail());
  }

  ~RedisServer() {
    terminate(SIGTERM);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  /// The TCP port, the same across kill() and start().
  uint16_t port() const { return port_; }
  /// The server's own directory (its log, its socket, any AOF).
  const std::string& dir() const { return dir_; }
  /// The Unix socket, if `--unixsocket` was given as socket_path().
  std::string socket_path() const { return dir_ + "/redis.sock"; }

  /// redis://127.0.0.1:<port>
  RedisUrl url() const {
    RedisUrl url;
    url.host = "127.0.0.1";
    url.port = port_;
    return url;
  }

  /// A client connection (throws if it cannot connect).
  RedisContext client(RedisUrl url) const {
    std::string error;
    auto conn =
        RedisContext::connect(url, std::chrono::seconds(2), std::chrono::seconds(10), &error);
    if (!conn) throw std::runtime_error("test client cannot connect: " + error);
    return std::move(*conn);
  }
  RedisContext client() const { return client(url()); }

  /// SIGKILL: the server dies without a goodbye, as in a crash.
  void kill() { terminate(SIGKILL); }
  /// SIGTERM and wait.
  void stop() { terminate(SIGTERM); }
  /// Starts again on the same port with the same arguments and directory.
  void start() {
    // The old listening socket can linger briefly; retry for a while.
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (launch()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("redis-server did not restart: " + log_tail());
  }

  bool running() const { return pid_ > 0; }

 private:
  static uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  // Spawns the server and waits until it answers; false if it exited.
  bool launch() {
    const char* env_binary = std::getenv("ZRB_REDIS_SERVER");
    std::string binary = env_binary != nullptr ? env_binary : "redis-server";
    std::vector<std::string> args = {binary,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--dir",
                                     dir_,
                                     "--logfile",
                                     dir_ + "/redis.log",
                                     "--daemonize",
                                     "no",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no"};
    if (unix_socket_)
      args.insert(args.end(), {"--unixsocket", socket_path(), "--unixsocketperm", "700"});
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot run " + binary);
    pid_ = pid;

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (answers()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    terminate(SIGKILL);
    return false;
  }

  // Up once commands run: a handshake that fails with NOAUTH (a server with
  // a password) proves that, one that fails with LOADING (still reading its
  // AOF) does not.
  bool answers() const {
    std::string error;
    auto conn = RedisContext::connect(url(), std::chrono::milliseconds(500),
                                      std::chrono::milliseconds(500), &error);
    return conn.has_value() ||
           (error.rfind("connect:", 0) != 0 && error.find("LOADING") == std::string::npos);
  }

  void terminate(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string log_tail() const {
    std::ifstream in(dir_ + "/redis.log");
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
  }

  std::vector<std::string> extra_args_;
  bool unix_socket_ = false;
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace zrb::test
