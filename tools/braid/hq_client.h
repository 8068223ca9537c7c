// hq-interop downloads for `braid client` and `braid demo`: URL parsing, one bidi stream
// per URL ("GET /path\r\n" + FIN) on one connection, bodies written to files or discarded,
// optional SHA-256 of each body.
#pragma once
#include <gnutls/crypto.h>

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/braid/client_runner.h"

namespace braid::tool {

struct ParsedUrl {
  std::string host;  // as written ("[::1]" keeps its brackets)
  uint16_t port = 443;
  std::string path = "/";
};
// https://host[:port]/path or quic://host[:port]/path.
std::expected<ParsedUrl, std::string> parse_url(const std::string& url);

struct HqRequest {
  std::string url;
  std::string path;
  std::string output_file;  // empty: discard the body
};

struct HqResult {
  std::string url, path, output_file;
  uint64_t bytes = 0;
  bool complete = false;
  std::optional<uint64_t> reset_code;
  std::string sha256_hex;   // when hashing was asked for
};

class HqDownloadApp final : public ClientApp {
 public:
  HqDownloadApp(std::vector<HqRequest> requests, bool hash);
  ~HqDownloadApp() override;
  // Opens the output files; an error names the file.
  std::expected<void, std::string> open_outputs();

  void on_handshake(Connection& c, TimePoint now) override;
  void on_event(Connection& c, const ConnectionEvent& ev) override;
  void on_service(Connection& c) override;
  bool done() const override { return finished_ == results_.size(); }
  std::optional<std::string> failure() const override { return failure_; }
  uint64_t progress_bytes() const override { return bytes_; }

  const std::vector<HqResult>& results() const { return results_; }
  TimePoint transfer_start() const { return transfer_start_; }
  // When the last stream finished; for a transfer that did not finish, when the last body
  // byte arrived (the start if none did), so durations are never negative.
  TimePoint transfer_end() const {
    if (transfer_end_ != TimePoint{}) return transfer_end_;
    return last_byte_at_ != TimePoint{} ? last_byte_at_ : transfer_start_;
  }
  uint64_t total_bytes() const { return bytes_; }

 private:
  void open_pending(Connection& c);
  void read_stream(Connection& c, StreamId id, size_t index);

  std::vector<HqRequest> requests_;
  std::vector<HqResult> results_;
  std::vector<int> fds_;
  std::vector<gnutls_hash_hd_t> hashes_;
  std::map<StreamId, size_t> by_stream_;
  size_t next_to_open_ = 0;
  size_t finished_ = 0;
  uint64_t bytes_ = 0;
  bool hash_;
  bool handshake_ = false;
  std::optional<std::string> failure_;
  std::vector<uint8_t> buf_;
  TimePoint transfer_start_{}, transfer_end_{}, last_byte_at_{};
};

}  // namespace braid::tool
