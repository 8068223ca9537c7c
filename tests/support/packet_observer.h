// Test helper: an on-path observer that decrypts what a PairHarness carries, as Wireshark
// does with a key log. Initial keys come from the client's first DCID, Handshake and 1-RTT
// keys from the client's key-log lines; multipath nonces use the path ID each DCID was
// issued for (learned from the NEW_CONNECTION_ID / PATH_NEW_CONNECTION_ID frames it sees).
// Tests assert on the frames and datagram sizes each side really put on the wire.
#pragma once
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto/initial_secrets.h"
#include "core/crypto/packet_keys.h"
#include "core/crypto/packet_protection.h"
#include "core/wire/frame_codec.h"
#include "core/wire/packet_header.h"
#include "tests/support/pair_harness.h"

namespace braid::test {

struct ObservedPacket {
  wire::PacketType type = wire::PacketType::kOneRtt;
  PathId path_id = 0;
  uint64_t pn = 0;
  size_t size = 0;     // bytes of this packet within the datagram
  ConnectionId dcid;
  bool decrypted = false;
  bool ack_eliciting = false;
  std::shared_ptr<std::vector<uint8_t>> plaintext;   // frames point into it
  std::vector<wire::Frame> frames;
  template <typename F>
  const F* find() const {
    for (auto& f : frames)
      if (auto* x = std::get_if<F>(&f)) return x;
    return nullptr;
  }
  template <typename F>
  bool has() const { return find<F>() != nullptr; }
};

struct ObservedDatagram {
  TimePoint at{};
  bool from_client = false;
  PathTuple sender;    // as the sender addressed it (local = sender's own address)
  size_t size = 0;
  std::vector<ObservedPacket> packets;
  bool has_initial() const {
    for (auto& p : packets)
      if (p.type == wire::PacketType::kInitial) return true;
    return false;
  }
  bool has_ack_eliciting_initial() const {
    for (auto& p : packets)
      if (p.type == wire::PacketType::kInitial && p.ack_eliciting) return true;
    return false;
  }
  template <typename F>
  bool has() const {
    for (auto& p : packets)
      if (p.has<F>()) return true;
    return false;
  }
};

class PacketObserver {
 public:
  // Installs the key log on `o.client` (keep the Options alive until the harness is built).
  void attach_keylog(PairHarness::Options& o) {
    auto previous = o.client.tls.keylog;
    o.client.tls.keylog = [this, previous](const std::string& line) {
      on_keylog_line(line);
      if (previous) previous(line);
    };
  }
  // Installs the tap on the harness; `drop` (optional) decides per datagram after decoding.
  void attach(PairHarness& h, std::function<bool(const ObservedDatagram&)> drop = nullptr) {
    h.tap = [this, &h, drop](bool from_client, const PathTuple& sender, std::span<const uint8_t> bytes) {
      auto d = decode(h.now(), from_client, sender, bytes);
      bool keep = !(drop && drop(d));
      seen.push_back(std::move(d));
      return keep;
    };
  }

  std::vector<ObservedDatagram> seen;

 private:
  struct Keys {
    std::optional<crypto::DirectionalKeys> handshake, app;
    std::vector<uint8_t> app_secret;
    crypto::CipherSuite suite = crypto::CipherSuite::kAes128Gcm;
  };

  static std::vector<uint8_t> unhex(const std::string& s) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
    return out;
  }

  void on_keylog_line(const std::string& line) {
    auto a = line.find(' ');
    auto b = line.find(' ', a + 1);
    if (a == std::string::npos || b == std::string::npos) return;
    std::string label = line.substr(0, a);
    auto secret = unhex(line.substr(b + 1));
    secrets_[label] = secret;
  }

  crypto::DirectionalKeys keys_from(const std::string& label, bool& ok) {
    auto it = secrets_.find(label);
    ok = it != secrets_.end();
    if (!ok) return {};
    auto suite = it->second.size() == 48 ? crypto::CipherSuite::kAes256Gcm : crypto::CipherSuite::kAes128Gcm;
    return crypto::derive_keys(suite, it->second);
  }

  ObservedDatagram decode(TimePoint now, bool from_client, const PathTuple& sender, std::span<const uint8_t> bytes) {
    ObservedDatagram d;
    d.at = now;
    d.from_client = from_client;
    d.sender = sender;
    d.size = bytes.size();
    std::vector<uint8_t> buf(bytes.begin(), bytes.end());
    size_t off = 0;
    while (off < buf.size()) {
      std::span<uint8_t> rest(buf.data() + off, buf.size() - off);
      auto hdr = wire::parse_header(rest, 8);
      if (!hdr) break;
      if (from_client && !client_dcid_ && hdr->type == wire::PacketType::kInitial) client_dcid_ = hdr->dcid;
      auto pkt = rest.first(std::min(hdr->packet_length, rest.size()));
      off += pkt.size();
      ObservedPacket op;
      op.type = hdr->type;
      op.size = pkt.size();
      op.dcid = hdr->dcid;
      decrypt(from_client, *hdr, pkt, op);
      d.packets.push_back(std::move(op));
      if (hdr->type == wire::PacketType::kOneRtt) break;
    }
    return d;
  }

  void decrypt(bool from_client, const wire::ParsedHeader& hdr, std::span<uint8_t> pkt, ObservedPacket& op) {
    crypto::DirectionalKeys keys;
    int space = 0;
    if (hdr.type == wire::PacketType::kInitial) {
      if (!client_dcid_) return;
      auto ik = crypto::derive_initial_keys(*client_dcid_);
      keys = from_client ? std::move(ik.client) : std::move(ik.server);
    } else {
      bool ok = false;
      if (hdr.type == wire::PacketType::kHandshake) {
        keys = keys_from(from_client ? "CLIENT_HANDSHAKE_TRAFFIC_SECRET" : "SERVER_HANDSHAKE_TRAFFIC_SECRET", ok);
        space = 1;
      } else if (hdr.type == wire::PacketType::kOneRtt) {
        keys = keys_from(from_client ? "CLIENT_TRAFFIC_SECRET_0" : "SERVER_TRAFFIC_SECRET_0", ok);
        auto p = cid_paths_.find(hdr.dcid);
        op.path_id = p == cid_paths_.end() ? 0 : p->second;
        space = 2 + static_cast<int>(op.path_id);
      }
      if (!ok) return;
    }
    auto uh = crypto::remove_header_protection(*keys.hp, pkt, hdr.pn_offset);
    if (!uh) return;
    auto& largest = largest_[{from_client, space}];
    uint64_t pn = wire::decode_packet_number(largest ? *largest : UINT64_MAX, uh->truncated_pn, uh->pn_len);
    size_t header_len = hdr.pn_offset + uh->pn_len;
    uint32_t nonce_path = hdr.type == wire::PacketType::kOneRtt ? op.path_id : 0;
    std::vector<uint8_t> copy(pkt.begin(), pkt.end());
    auto payload = crypto::open_packet(*keys.aead, nonce_path, pn, pkt, header_len);
    if (!payload && hdr.type == wire::PacketType::kOneRtt) {
      // Without multipath every nonce uses path 0.
      std::copy(copy.begin(), copy.end(), pkt.begin());
      payload = crypto::open_packet(*keys.aead, 0, pn, pkt, header_len);
    }
    if (!payload) return;
    largest = std::max(largest.value_or(0), pn);
    op.pn = pn;
    op.decrypted = true;
    op.plaintext = std::make_shared<std::vector<uint8_t>>(payload->begin(), payload->end());
    wire::Reader r(*op.plaintext);
    while (!r.empty()) {
      uint64_t ft = 0;
      auto f = wire::decode_frame(r, &ft);
      if (!f) break;
      if (wire::frame_is_ack_eliciting(ft)) op.ack_eliciting = true;
      if (auto* n = std::get_if<wire::NewConnectionIdFrame>(&*f)) cid_paths_[n->cid] = n->path_id.value_or(0);
      op.frames.push_back(*f);
    }
  }

  std::map<std::string, std::vector<uint8_t>> secrets_;
  std::optional<ConnectionId> client_dcid_;
  std::map<ConnectionId, PathId> cid_paths_;
  std::map<std::pair<bool, int>, std::optional<uint64_t>> largest_;
};

}  // namespace braid::test
