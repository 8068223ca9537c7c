#include "tools/braid/upload_session.h"

#include <fmt/format.h>

#include "io/monotonic_clock.h"
#include "tools/braid/tool_support.h"

namespace braid::tool {

UploadSession::UploadSession(transfer::SinkFactory& sinks, uint64_t conn_id, bool log,
                             std::function<void(const UploadReport&)> on_end)
    : receiver_({}, sinks), conn_id_(conn_id), log_(log), on_end_(std::move(on_end)) {}

void UploadSession::on_event(Connection& c, const ConnectionEvent& ev) {
  TimePoint now = io::monotonic_now();
  if (started_ == kNever) started_ = now;
  if (auto te = transfer::QuicTransport::translate(ev)) {
    transfer::QuicTransport t(c);
    receiver_.on_event(now, t, *te);
  }
  report_if_ended(now);
}

TimePoint UploadSession::service(Connection& c) {
  TimePoint now = io::monotonic_now();
  if (started_ == kNever) started_ = now;
  transfer::QuicTransport t(c);
  receiver_.pump(now, t);
  report_if_ended(now);
  return receiver_.next_wake();
}

void UploadSession::report_if_ended(TimePoint now) {
  if (reported_ || !(receiver_.done() || receiver_.failed())) return;
  reported_ = true;
  UploadReport r;
  r.ok = receiver_.done();
  if (receiver_.offer()) r.name = receiver_.offer()->name;
  r.location = receiver_.location();
  auto m = receiver_.metrics(now);
  r.bytes = m.confirmed_bytes;
  r.resumed_bytes = m.resumed_bytes;
  r.seconds = std::chrono::duration<double>(now - started_).count();
  if (receiver_.error()) r.error = receiver_.error()->describe();
  if (r.ok && receiver_.digest()) r.sha256 = transfer::to_hex(*receiver_.digest());
  if (log_) {
    if (r.ok) {
      fmt::print(stderr, "[conn {}] upload {} complete: {} ({} resumed) in {:.2f} s, sha256 {}\n", conn_id_, r.location,
                 format_bytes(r.bytes), format_bytes(r.resumed_bytes), r.seconds, r.sha256);
    } else {
      fmt::print(stderr, "[conn {}] upload {} failed: {}\n", conn_id_, r.name.empty() ? "?" : r.name, r.error);
    }
  }
  if (on_end_) on_end_(r);
}

}  // namespace braid::tool
