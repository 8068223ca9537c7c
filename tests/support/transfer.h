// Test helper: client-to-server and server-to-client transfers over a PairHarness with
// byte-exact verification (every stream's bytes compared with what was written).
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/support/pair_harness.h"

namespace braid::test {

inline std::vector<uint8_t> pattern_bytes(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  SeededRandom r(seed);
  r.fill(v);
  return v;
}

// Writes `payloads` (one per stream) from `sender` with backpressure, reads them at
// `receiver`, and returns true when every stream arrived complete and identical.
struct TransferResult {
  bool ok = false;
  Duration elapsed{};
  std::string failure;
};

inline TransferResult run_transfer(PairHarness& h, bool client_sends, const std::vector<std::vector<uint8_t>>& payloads,
                                   Duration limit = std::chrono::seconds(120),
                                   const std::function<void(const std::vector<StreamId>&)>& on_opened = {}) {
  TransferResult res;
  Connection& snd = client_sends ? h.client() : *h.server_conn();
  std::vector<StreamId> ids;
  for (size_t i = 0; i < payloads.size(); ++i) {
    auto id = snd.open_stream(false);
    if (!id) {
      res.failure = "open_stream: " + id.error().reason;
      return res;
    }
    ids.push_back(*id);
  }
  if (on_opened) on_opened(ids);
  std::vector<size_t> written(payloads.size(), 0);
  std::map<StreamId, std::vector<uint8_t>> got;
  std::map<StreamId, bool> fin;
  TimePoint start = h.now();
  std::vector<uint8_t> buf(256 * 1024);
  bool ok = h.run_until(
      [&] {
        Connection& s = client_sends ? h.client() : *h.server_conn();
        Connection* r = client_sends ? h.server_conn() : &h.client();
        for (size_t i = 0; i < payloads.size(); ++i) {
          if (written[i] > payloads[i].size()) continue;
          std::span<const uint8_t> rest(payloads[i].data() + written[i], payloads[i].size() - written[i]);
          auto w = s.stream_write(ids[i], rest, true);
          if (!w) continue;
          written[i] += *w;
          if (written[i] == payloads[i].size()) written[i]++;  // finished
        }
        if (!r) return false;
        for (auto id : ids) {
          if (fin[id]) continue;
          for (;;) {
            bool f = false;
            auto n = r->stream_read(id, buf, f);
            if (!n) break;
            got[id].insert(got[id].end(), buf.begin(), buf.begin() + *n);
            if (f) {
              fin[id] = true;
              break;
            }
            if (*n == 0) break;
          }
        }
        for (auto id : ids) {
          if (!fin[id]) return false;
        }
        return true;
      },
      limit);
  res.elapsed = h.now() - start;
  if (!ok) {
    size_t done = 0;
    for (auto id : ids) done += fin[id];
    res.failure = "timed out: " + std::to_string(done) + "/" + std::to_string(ids.size()) + " streams finished";
    return res;
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (got[ids[i]] != payloads[i]) {
      res.failure = "stream " + std::to_string(ids[i]) + " differs: got " + std::to_string(got[ids[i]].size()) +
                    " bytes, expected " + std::to_string(payloads[i].size());
      return res;
    }
  }
  res.ok = true;
  return res;
}

// Writes `data` on stream `sid` of `sender` (with FIN) while reading it at `receiver`,
// calling `each_step` every iteration (to change the network mid-transfer). Returns true
// once the FIN was read; `got` holds what arrived.
inline bool send_on_stream(PairHarness& h, Connection& sender, Connection& receiver, StreamId sid,
                           const std::vector<uint8_t>& data, std::vector<uint8_t>& got,
                           const std::function<void()>& each_step = {},
                           Duration limit = std::chrono::seconds(30)) {
  size_t written = 0;
  bool fin = false;
  std::vector<uint8_t> buf(65536);
  return h.run_until(
      [&] {
        if (each_step) each_step();
        if (written < data.size()) {
          auto w = sender.stream_write(sid, std::span(data).subspan(written), true);
          if (w) written += *w;
        }
        for (;;) {
          auto n = receiver.stream_read(sid, buf, fin);
          if (!n) break;
          got.insert(got.end(), buf.begin(), buf.begin() + *n);
          if (fin || *n == 0) break;
        }
        return fin;
      },
      limit);
}

}  // namespace braid::test
