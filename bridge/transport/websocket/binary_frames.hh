// A layer below Beast's WebSocket stream that marks every text frame Zeek
// sends as binary. Why: Zeek's WebSocket API puts a string's bytes raw into
// its JSON (seen with Zeek 8.0.10), so a log record with a string that is
// not UTF-8 arrives in a text frame that is not UTF-8, and Beast fails the
// whole connection for that (close code 1007, no option to turn the check
// off). As binary the message arrives as it was sent; ws_json.cc then reads
// the raw bytes of its strings. Only the opcode of data frames' first byte
// changes; lengths, masks, control frames and payloads pass untouched.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstdint>
#include <utility>

namespace zrb::ws {

/// Walks the frames of a server's byte stream and rewrites opcode 1 (text)
/// to 2 (binary) in each frame header.
class FrameRewriter {
 public:
  /// Feeds `n` bytes at `p`, rewriting in place.
  void feed(unsigned char* p, size_t n) {
    for (size_t i = 0; i < n;) {
      if (state_ == State::payload) {
        uint64_t take = remaining_ < n - i ? remaining_ : n - i;
        remaining_ -= take;
        i += static_cast<size_t>(take);
        if (remaining_ == 0) state_ = State::first;
        continue;
      }
      unsigned char c = p[i++];
      switch (state_) {
        case State::first:
          if ((c & 0x0f) == 0x1) p[i - 1] = static_cast<unsigned char>((c & 0xf0) | 0x2);
          state_ = State::second;
          break;
        case State::second:
          masked_ = (c & 0x80) != 0;
          remaining_ = c & 0x7f;
          need_ = remaining_ == 126 ? 2 : remaining_ == 127 ? 8 : 0;
          if (need_ != 0) {
            remaining_ = 0;
            state_ = State::length;
          } else {
            after_length();
          }
          break;
        case State::length:
          remaining_ = (remaining_ << 8) | c;
          if (--need_ == 0) after_length();
          break;
        case State::mask:
          if (--need_ == 0) start_payload();
          break;
        case State::payload:
          break;
      }
    }
  }

 private:
  enum class State { first, second, length, mask, payload };

  void after_length() {
    if (masked_) {
      need_ = 4;
      state_ = State::mask;
    } else {
      start_payload();
    }
  }
  void start_payload() { state_ = remaining_ == 0 ? State::first : State::payload; }

  State state_ = State::first;
  bool masked_ = false;
  unsigned need_ = 0;
  uint64_t remaining_ = 0;
};

/// The stream Beast's websocket::stream reads through: `Next` with every
/// text frame read from it turned into a binary frame.
template <class Next>
class BinaryFrames {
 public:
  using executor_type = typename Next::executor_type;
  using next_layer_type = Next;

  template <class... Args>
  explicit BinaryFrames(Args&&... args) : next_(std::forward<Args>(args)...) {}

  executor_type get_executor() { return next_.get_executor(); }

  /// From now on frames are rewritten: call it once the HTTP upgrade is
  /// done (its response is read through this layer too). Zeek sends its
  /// first frame, the ack, only after the client's first message.
  void start_frames() { frames_ = true; }
  Next& next_layer() { return next_; }
  const Next& next_layer() const { return next_; }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    auto ex = boost::asio::get_associated_executor(handler, next_.get_executor());
    next_.async_read_some(
        buffers, boost::asio::bind_executor(ex, [this, buffers, h = std::forward<Handler>(handler)](
                                                    boost::beast::error_code ec, size_t n) mutable {
          if (frames_)
            for (auto b : boost::beast::buffers_range(boost::beast::buffers_prefix(n, buffers)))
              rewriter_.feed(static_cast<unsigned char*>(b.data()), b.size());
          std::move(h)(ec, n);
        }));
  }

  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    next_.async_write_some(buffers, std::forward<Handler>(handler));
  }

 private:
  Next next_;
  FrameRewriter rewriter_;
  bool frames_ = false;
};

// Closing goes to the layer below, as Beast does for it.
template <class Next>
void teardown(boost::beast::role_type role, BinaryFrames<Next>& s, boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, s.next_layer(), ec);
}

template <class Next, class Handler>
void async_teardown(boost::beast::role_type role, BinaryFrames<Next>& s, Handler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, s.next_layer(), std::forward<Handler>(handler));
}

}  // namespace zrb::ws
