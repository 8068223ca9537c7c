// Address advertisement, braid's own extension (docs/address-advertisement.md): a server
// tells a client about further addresses of its own in ADVERTISE_ADDRESS frames, only when
// both sides sent the address_advertisement transport parameter and only the addresses its
// configuration lists. The client keeps them and reports each once; opening paths to them
// is the application's choice.
#include <fmt/format.h>

#include "core/conn/connection_impl.h"

namespace braid::conn {

using recovery::SentFrame;
using K = recovery::SentFrame::Kind;

void ConnectionImpl::negotiate_address_advertisement(const wire::TransportParameters& peer) {
  if (!peer.address_advertisement) return;
  if (perspective_ == Perspective::kServer) {
    if (cfg_.advertise_addresses.empty()) return;
    address_advertisement_ = true;
    peer_address_limit_ = std::min<uint64_t>(*peer.address_advertisement, cfg_.advertise_addresses.size());
    for (uint64_t seq = 0; seq < peer_address_limit_; ++seq) advertised_addresses_[seq] = cfg_.advertise_addresses[seq];
  } else {
    address_advertisement_ = cfg_.accept_advertised_addresses > 0;
  }
}

void ConnectionImpl::queue_address_advertisements() {
  if (!address_advertisement_ || perspective_ != Perspective::kServer) return;
  for (const auto& [seq, addr] : advertised_addresses_) pending_.advertise_address.insert(seq);
}

void ConnectionImpl::write_address_advertisements(wire::Writer& w, std::vector<SentFrame>& sent) {
  for (auto it = pending_.advertise_address.begin(); it != pending_.advertise_address.end();) {
    auto a = advertised_addresses_.find(*it);
    if (a == advertised_addresses_.end()) {
      it = pending_.advertise_address.erase(it);
      continue;
    }
    wire::Frame fr = wire::AdvertiseAddressFrame{a->first, a->second};
    if (wire::encoded_size(fr) > w.remaining()) break;
    wire::encode_frame(w, fr);
    SentFrame sf{K::kAdvertiseAddress};
    sf.id = a->first;
    sent.push_back(sf);
    it = pending_.advertise_address.erase(it);
  }
}

Status ConnectionImpl::on_advertise_address(const wire::AdvertiseAddressFrame& f, uint64_t ftype) {
  // Without negotiation the frame is of a type this connection does not know (RFC 9000
  // §12.4), whether or not the implementation knows the extension.
  if (!address_advertisement_) {
    return fail(TransportErrorCode::kFrameEncodingError, "ADVERTISE_ADDRESS without negotiation", ftype);
  }
  uint64_t limit = perspective_ == Perspective::kClient ? cfg_.accept_advertised_addresses : 0;
  if (f.sequence >= limit) {
    return fail(TransportErrorCode::kProtocolViolation,
                fmt::format("ADVERTISE_ADDRESS sequence {} beyond the {} announced", f.sequence, limit), ftype);
  }
  if (!is_advertisable(f.address)) {
    return fail(TransportErrorCode::kProtocolViolation, "ADVERTISE_ADDRESS of an unusable address", ftype);
  }
  auto [it, added] = advertised_addresses_.emplace(f.sequence, f.address);
  if (!added) {
    if (it->second == f.address) return {};   // a retransmission
    return fail(TransportErrorCode::kProtocolViolation, "ADVERTISE_ADDRESS sequence reused for another address", ftype);
  }
  ConnectionEvent ev{ConnectionEventType::kAddressAdvertised};
  ev.address = f.address;
  ev.error_code = f.sequence;
  ev.detail = fmt::format("server address {}: {}", f.sequence, f.address.to_string());
  emit(std::move(ev));
  return {};
}

}  // namespace braid::conn
