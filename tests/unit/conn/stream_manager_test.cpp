// StreamManager: initiator rules, local ID allocation per direction, the send queue holds a
// stream once and never one that cannot send.
#include "core/conn/stream_manager.h"

#include <gtest/gtest.h>

namespace braid::conn {
namespace {

TEST(StreamManager, LocalIdsFollowTheInitiatorAndDirection) {
  StreamManager client(Perspective::kClient), server(Perspective::kServer);
  EXPECT_TRUE(client.is_local(0));
  EXPECT_TRUE(client.is_local(2));
  EXPECT_FALSE(client.is_local(1));
  EXPECT_TRUE(server.is_local(3));
  EXPECT_EQ(client.next_local_id(true), 0u);
  EXPECT_EQ(client.next_local_id(false), 2u);
  client.counts(true).next_local = 3;
  EXPECT_EQ(client.next_local_id(true), 12u);
  EXPECT_EQ(server.next_local_id(true), 1u);
  EXPECT_EQ(server.next_local_id(false), 3u);
  EXPECT_TRUE(is_bidi_stream(1));
  EXPECT_FALSE(is_bidi_stream(2));
}

TEST(StreamManager, SendQueueHoldsEachSendingStreamOnce) {
  StreamManager m(Perspective::kClient);
  Stream a;
  a.id = 0;
  a.send.emplace(1 << 20, &m.pool);
  auto& sa = m.insert(std::move(a));
  Stream recv_only;
  recv_only.id = 3;
  auto& sr = m.insert(std::move(recv_only));
  m.queue_send(sa);
  m.queue_send(sa);
  m.queue_send(sr);     // nothing to send on a receive-only stream
  ASSERT_EQ(m.send_queue.size(), 1u);
  EXPECT_EQ(m.send_queue.front(), 0u);
  sa.in_send_queue = false;
  m.send_queue.clear();
  sa.reset_sent = true;   // reset streams send nothing more
  m.queue_send(sa);
  EXPECT_TRUE(m.send_queue.empty());
  EXPECT_EQ(m.get(0), &sa);
  EXPECT_EQ(m.get(4), nullptr);
  EXPECT_EQ(m.size(), 2u);
}

}  // namespace
}  // namespace braid::conn
