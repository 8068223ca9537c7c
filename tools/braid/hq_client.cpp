// HqDownloadApp: request streams, body sinks and per-body hashes.
#include "tools/braid/hq_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "io/monotonic_clock.h"
#include "tools/braid/file_server.h"

namespace braid::tool {

std::expected<ParsedUrl, std::string> parse_url(const std::string& url) {
  std::string_view u(url);
  ParsedUrl p;
  if (u.starts_with("https://")) {
    u.remove_prefix(8);
  } else if (u.starts_with("quic://")) {
    u.remove_prefix(7);
  } else {
    return std::unexpected(fmt::format("'{}': URLs start with https:// or quic://", url));
  }
  size_t slash = u.find('/');
  std::string_view authority = u.substr(0, slash);
  if (slash != std::string_view::npos) p.path = std::string(u.substr(slash));
  std::string_view port_text;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::unexpected(fmt::format("'{}': unterminated [IPv6] host", url));
    p.host = std::string(authority.substr(0, close + 1));
    std::string_view rest = authority.substr(close + 1);
    if (rest.starts_with(":")) port_text = rest.substr(1);
    else if (!rest.empty()) return std::unexpected(fmt::format("'{}': bad text after the host", url));
  } else {
    size_t colon = authority.rfind(':');
    p.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (p.host.empty() || p.host == "[]") return std::unexpected(fmt::format("'{}': no host", url));
  if (!port_text.empty()) {
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || v == 0 || v > 65535) {
      return std::unexpected(fmt::format("'{}': bad port '{}'", url, port_text));
    }
    p.port = static_cast<uint16_t>(v);
  }
  return p;
}

HqDownloadApp::HqDownloadApp(std::vector<HqRequest> requests, bool hash)
    : requests_(std::move(requests)), hash_(hash) {
  for (const auto& r : requests_) results_.push_back(HqResult{r.url, r.path, r.output_file});
  fds_.assign(requests_.size(), -1);
  hashes_.assign(requests_.size(), nullptr);
  buf_.resize(256 * 1024);
}

HqDownloadApp::~HqDownloadApp() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
  for (auto h : hashes_) {
    if (h) gnutls_hash_deinit(h, nullptr);
  }
}

std::expected<void, std::string> HqDownloadApp::open_outputs() {
  for (size_t i = 0; i < requests_.size(); ++i) {
    const auto& f = requests_[i].output_file;
    if (f.empty()) continue;
    int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return std::unexpected(fmt::format("cannot write {}: {}", f, std::strerror(errno)));
    fds_[i] = fd;
  }
  if (hash_) {
    for (auto& h : hashes_) gnutls_hash_init(&h, GNUTLS_DIG_SHA256);
  }
  return {};
}

void HqDownloadApp::on_handshake(Connection& c, TimePoint now) {
  handshake_ = true;
  transfer_start_ = now;
  open_pending(c);
}

void HqDownloadApp::open_pending(Connection& c) {
  while (handshake_ && next_to_open_ < requests_.size()) {
    auto id = c.open_stream(true);
    if (!id) return;  // stream limit: retried when the server grants more
    size_t index = next_to_open_++;
    by_stream_[*id] = index;
    std::string req = "GET " + requests_[index].path + "\r\n";
    auto n = c.stream_write(*id, std::span(reinterpret_cast<const uint8_t*>(req.data()), req.size()), true);
    if (!n || *n != req.size()) {
      failure_ = fmt::format("cannot send the request for {}", requests_[index].url);
      return;
    }
  }
}

void HqDownloadApp::on_service(Connection& c) { open_pending(c); }

void HqDownloadApp::read_stream(Connection& c, StreamId id, size_t index) {
  auto& r = results_[index];
  if (r.complete) return;
  for (;;) {
    bool fin = false;
    auto n = c.stream_read(id, buf_, fin);
    if (!n) return;
    if (*n > 0) {
      r.bytes += *n;
      bytes_ += *n;
      last_byte_at_ = io::monotonic_now();
      if (hashes_[index]) gnutls_hash(hashes_[index], buf_.data(), *n);
      for (size_t off = 0; fds_[index] >= 0 && off < *n;) {
        ssize_t w = ::write(fds_[index], buf_.data() + off, *n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          failure_ = fmt::format("writing {}: {}", r.output_file, std::strerror(errno));
          return;
        }
        off += static_cast<size_t>(w);
      }
    }
    if (fin) {
      r.complete = true;
      finished_++;
      transfer_end_ = io::monotonic_now();
      if (hashes_[index]) {
        uint8_t d[32];
        gnutls_hash_deinit(hashes_[index], d);
        hashes_[index] = nullptr;
        for (uint8_t b : d) r.sha256_hex += fmt::format("{:02x}", b);
      }
      if (fds_[index] >= 0) {
        ::close(fds_[index]);
        fds_[index] = -1;
      }
      return;
    }
    if (*n == 0) return;
  }
}

void HqDownloadApp::on_event(Connection& c, const ConnectionEvent& ev) {
  auto it = by_stream_.find(ev.stream_id);
  switch (ev.type) {
    case ConnectionEventType::kStreamReadable:
      if (it != by_stream_.end()) read_stream(c, ev.stream_id, it->second);
      break;
    case ConnectionEventType::kStreamReset:
      if (it != by_stream_.end() && !results_[it->second].complete) {
        auto& r = results_[it->second];
        r.reset_code = ev.error_code;
        failure_ = fmt::format("server reset the stream for {} with error 0x{:x} ({})", r.path, ev.error_code,
                               hq_error_name(ev.error_code));
      }
      break;
    default:
      break;
  }
}

}  // namespace braid::tool
