#include "transfer/control_channel.h"

namespace braid::transfer {

void ControlChannel::flush(Transport& t) {
  if (out_.empty() || !id_) return;
  auto n = t.write(*id_, out_, false);
  if (n && *n > 0) out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(*n));
}

void ControlChannel::finish(Transport& t) {
  flush(t);
  if (id_) (void)t.write(*id_, {}, true);
}

std::optional<TransferError> ControlChannel::receive(Transport& t, std::span<uint8_t> buf,
                                                     const std::function<bool(Message)>& handle) {
  if (!id_) return std::nullopt;
  for (;;) {
    bool fin = false;
    auto n = t.read(*id_, buf, fin);
    if (!n) return std::nullopt;   // nothing to read (yet)
    reader_.feed(buf.first(*n));
    while (auto m = reader_.next()) {
      if (!*m) return m->error();
      if (!handle(std::move(**m))) return std::nullopt;
    }
    if (fin) return TransferError{TransferErrorCode::kProtocol, "the " + peer_ + " ended the control stream early"};
    if (*n == 0) return std::nullopt;
  }
}

}  // namespace braid::transfer
