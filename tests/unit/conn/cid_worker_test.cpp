// Worker steering by CID (ConnectionConfig::cid_worker_count): every CID a server issues, on
// every path, and its Retry SCIDs carry the worker in the first byte; bad configs are refused.
#include "core/conn/cid_worker.h"

#include <gtest/gtest.h>

#include "tests/support/multipath_pair.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

TEST(CidWorker, MarkKeepsTheByteInRangeAndCongruent) {
  for (unsigned count = 2; count <= 255; count += 7) {
    for (unsigned index = 0; index < count; index += 3) {
      for (unsigned b = 0; b < 256; ++b) {
        ConnectionId cid;
        cid.resize(4);
        cid.data()[0] = static_cast<uint8_t>(b);
        conn::mark_cid_worker(cid, static_cast<uint8_t>(index), static_cast<uint8_t>(count));
        ASSERT_EQ(cid.data()[0] % count, index) << b << " " << count;
      }
    }
  }
}

TEST(CidWorker, EveryServerCidAndRetryScidNamesItsWorker) {
  auto o = test::PairHarness::default_options();
  o.server.cid_worker_count = 3;
  o.server.cid_worker_index = 2;
  o.require_retry = true;
  test::PairHarness h(o);
  std::vector<uint8_t> retry_first_bytes;
  h.server_to_client_filter = [&](std::vector<uint8_t>& d) {
    if ((d[0] & 0xf0) == 0xf0 && d.size() > 8 && size_t(6) + d[5] + 1 < d.size()) retry_first_bytes.push_back(d[6 + d[5] + 1]);
    return true;
  };
  ASSERT_TRUE(h.handshake());
  ASSERT_EQ(retry_first_bytes.size(), 1u);
  EXPECT_EQ(retry_first_bytes[0] % 3, 2);
  ASSERT_TRUE(test::mp::open_and_wait(h, test::mp::kLocal1));
  auto r = test::run_transfer(h, false, {test::pattern_bytes(300'000, 9)});
  ASSERT_TRUE(r.ok) << r.failure;
  auto ids = h.server_conn()->local_connection_ids();
  ASSERT_GE(ids.size(), 4u);
  for (const auto& cid : ids) EXPECT_EQ(cid.data()[0] % 3, 2) << "CID starting " << int(cid.data()[0]);
}

TEST(CidWorker, BadConfigsAreRefused) {
  ConnectionConfig c;
  c.cid_worker_count = 2;
  c.cid_worker_index = 2;
  EXPECT_FALSE(check_connection_config(c));
  c.cid_worker_index = 1;
  EXPECT_TRUE(check_connection_config(c));
  c.connection_id_length = 0;
  EXPECT_FALSE(check_connection_config(c));
  c.connection_id_length = 8;
  c.load_balancer = *parse_load_balancer_config("server-id=01,nonce=6");
  c.connection_id_length = c.load_balancer->cid_length();
  auto bad = check_connection_config(c);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("load balancer"), std::string::npos) << bad.error();
}

}  // namespace
}  // namespace braid
