// Test helper: a TransferSender on the client and a TransferReceiver on the server of a
// PairHarness (virtual time), events routed and both sides pumped as the harness runs.
#pragma once
#include <memory>

#include "tests/support/multipath_pair.h"
#include "tests/support/pair_harness.h"
#include "transfer/transfer_receiver.h"
#include "transfer/transfer_sender.h"

namespace braid::transfer::test {

inline braid::test::PairHarness::Options transfer_options() {
  auto o = braid::test::PairHarness::default_options();
  o.client.tls.alpn = {kTransferAlpn};
  o.server.tls.alpn = {kTransferAlpn};
  o.client.initial_max_data = o.server.initial_max_data = 32u << 20;
  o.client.initial_max_stream_data = o.server.initial_max_stream_data = 4u << 20;
  return o;
}

struct TransferPair {
  braid::test::PairHarness& h;
  TransferSender& sender;
  TransferReceiver& receiver;
  // Optional: wraps the client's transport (corruption tests).
  std::function<Transport&(Transport&)> wrap_client;

  void step() {
    TimePoint now = h.now();
    QuicTransport ct(h.client());
    Transport& c = wrap_client ? wrap_client(ct) : ct;
    while (auto ev = h.client().poll_event()) {
      if (auto te = QuicTransport::translate(*ev)) sender.on_event(now, c, *te);
    }
    if (h.client().is_handshake_complete()) sender.pump(now, c);
    if (Connection* s = h.server_conn()) {
      QuicTransport st(*s);
      while (auto ev = s->poll_event()) {
        if (auto te = QuicTransport::translate(*ev)) receiver.on_event(now, st, *te);
      }
      receiver.pump(now, st);
    }
  }
  // Runs until both sides ended (done or failed), or `limit` of virtual time.
  bool run(Duration limit = std::chrono::seconds(120)) {
    return h.run_until(
        [&] {
          step();
          bool s = sender.done() || sender.failed(), r = receiver.done() || receiver.failed();
          return s && r;
        },
        limit);
  }
};

}  // namespace braid::transfer::test
