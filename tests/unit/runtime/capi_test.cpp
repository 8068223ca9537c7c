// The C API: error codes and messages for bad input (unknown scheduler and congestion
// controller names list the known ones), NULL arguments, a download between a C server
// and a C client over two loopback paths, and the stats structs filled from it.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "braid/braid.h"

namespace {

struct ConfigPtr {
  braid_config* p = braid_config_new();
  ~ConfigPtr() { braid_config_free(p); }
};

TEST(CApi, UnknownNamesFailAndListTheKnownOnes) {
  ConfigPtr cfg;
  ASSERT_NE(cfg.p, nullptr);
  EXPECT_EQ(braid_config_set_scheduler(cfg.p, "fastest-please"), BRAID_ERR_INVALID);
  std::string msg = braid_last_error();
  EXPECT_NE(msg.find("fastest-please"), std::string::npos) << msg;
  EXPECT_NE(msg.find("minrtt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("blest"), std::string::npos) << msg;
  EXPECT_EQ(braid_config_set_scheduler(cfg.p, "rr"), BRAID_OK);
  EXPECT_EQ(braid_config_set_scheduler(cfg.p, "rr:bogus=1"), BRAID_ERR_INVALID);

  EXPECT_EQ(braid_config_set_congestion_controller(cfg.p, "vegas-ish"), BRAID_ERR_INVALID);
  msg = braid_last_error();
  EXPECT_NE(msg.find("cubic"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bbr"), std::string::npos) << msg;
  EXPECT_EQ(braid_config_set_congestion_controller(cfg.p, "bbr"), BRAID_OK);

  char small[8];
  size_t need = braid_scheduler_names(small, sizeof small);
  EXPECT_GT(need, sizeof small);
  EXPECT_EQ(std::strlen(small), sizeof small - 1);
  std::vector<char> all(need + 1);
  EXPECT_EQ(braid_scheduler_names(all.data(), all.size()), need);
  EXPECT_NE(std::string(all.data()).find("minrtt"), std::string::npos);
  need = braid_congestion_controller_names(nullptr, 0);
  all.assign(need + 1, 0);
  braid_congestion_controller_names(all.data(), all.size());
  EXPECT_NE(std::string(all.data()).find("cubic"), std::string::npos);
}

TEST(CApi, BadArgumentsReturnCodesNotCrashes) {
  ConfigPtr cfg;
  EXPECT_EQ(braid_config_set_bind(cfg.p, "not an address"), BRAID_ERR_INVALID);
  EXPECT_NE(std::string(braid_last_error()).find("not an address"), std::string::npos);
  EXPECT_EQ(braid_config_set_bind(nullptr, "127.0.0.1:0"), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_config_set_alpn(cfg.p, nullptr), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_config_set_alpn(cfg.p, " , "), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_config_set_max_paths(cfg.p, 0), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_config_add_path_address(cfg.p, "300.1.1.1"), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_config_add_advertised_address(cfg.p, "0.0.0.0:4433"), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_config_add_advertised_address(cfg.p, "224.0.0.1:4433"), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_config_add_advertised_address(cfg.p, nullptr), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_config_set_accept_advertised_addresses(cfg.p, 17), BRAID_ERR_INVALID);
  EXPECT_NE(std::string(braid_last_error()).find("16"), std::string::npos) << braid_last_error();
  EXPECT_EQ(braid_config_set_accept_advertised_addresses(cfg.p, 4), BRAID_OK);

  braid_server* server = reinterpret_cast<braid_server*>(1);
  EXPECT_EQ(braid_server_new(cfg.p, &server), BRAID_ERR_INVALID);   // no bind address
  EXPECT_EQ(server, nullptr);
  ASSERT_EQ(braid_config_set_bind(cfg.p, "127.0.0.1:0"), BRAID_OK);
  ASSERT_EQ(braid_config_set_cert_files(cfg.p, "/nonexistent/c.pem", "/nonexistent/k.pem"), BRAID_OK);
  EXPECT_EQ(braid_server_new(cfg.p, &server), BRAID_ERR_INVALID);
  EXPECT_NE(std::string(braid_last_error()).find("/nonexistent/c.pem"), std::string::npos) << braid_last_error();

  ConfigPtr ccfg;
  braid_client* client = nullptr;
  ASSERT_EQ(braid_client_new(ccfg.p, &client), BRAID_OK);
  braid_conn conn{};
  EXPECT_EQ(braid_client_connect(client, "127.0.0.1", &conn), BRAID_ERR_INVALID);   // no port
  EXPECT_EQ(braid_client_connect(client, nullptr, &conn), BRAID_ERR_INVALID);
  uint64_t stream = 0;
  EXPECT_EQ(braid_stream_open(conn, 1, &stream), BRAID_ERR_INVALID);   // empty braid_conn
  braid_conn ghost{conn.owner, 0};
  EXPECT_EQ(braid_stream_open(ghost, 1, &stream), BRAID_ERR_INVALID);
  ASSERT_EQ(braid_client_connect(client, "127.0.0.1:9", &conn), BRAID_OK);   // nobody answers
  braid_conn unknown{conn.owner, conn.id + 100};
  EXPECT_EQ(braid_stream_open(unknown, 1, &stream), BRAID_ERR_NOT_FOUND);
  EXPECT_EQ(braid_stream_write(conn, 0, nullptr, 5, 0, nullptr), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_client_process(client, 0, nullptr), BRAID_OK);
  braid_client_free(client);
  braid_client_free(nullptr);
  braid_server_free(nullptr);

  for (int s = BRAID_OK; s <= BRAID_ERR_INTERNAL; ++s) {
    EXPECT_STRNE(braid_strerror(static_cast<braid_status>(s)), "unknown status");
  }
  EXPECT_STREQ(braid_path_state_name(BRAID_PATH_ACTIVE), "active");
}

// A C server that answers any request (a stream with FIN) with kBytes of a pattern, and a
// C client that fetches it, both on the C API with callbacks.
constexpr size_t kBytes = 8u << 20;

uint8_t pattern_at(size_t i) { return static_cast<uint8_t>(i * 7 + (i >> 10)); }

struct ServerState {
  std::map<std::pair<uint64_t, uint64_t>, size_t> sent;   // (conn, stream) -> bytes written
  std::vector<uint8_t> chunk;
  void push(braid_conn c, uint64_t stream) {
    size_t& off = sent[{c.id, stream}];
    while (off < kBytes) {
      size_t len = std::min<size_t>(65536, kBytes - off);
      chunk.resize(len);
      for (size_t i = 0; i < len; ++i) chunk[i] = pattern_at(off + i);
      size_t n = 0;
      if (braid_stream_write(c, stream, chunk.data(), len, off + len == kBytes, &n) != BRAID_OK) return;
      off += n;
      if (n < len) return;   // BRAID_EVENT_STREAM_WRITABLE brings us back
    }
  }
};

// Starts `ss`'s server on 127.0.0.1 with `scfg` (ALPN capi-test set here); nullptr and a
// test failure when it cannot start. `addr` receives where it listens.
braid_server* start_pattern_server(ConfigPtr& scfg, ServerState& ss, char (&addr)[64]) {
  braid_server* server = nullptr;
  if (braid_config_set_bind(scfg.p, "127.0.0.1:0") != BRAID_OK || braid_config_set_alpn(scfg.p, "capi-test") != BRAID_OK ||
      braid_server_new(scfg.p, &server) != BRAID_OK) {
    ADD_FAILURE() << braid_last_error();
    return nullptr;
  }
  braid_callbacks scb{};
  scb.on_stream_data = [](void* u, braid_conn c, uint64_t s, const uint8_t*, size_t, int fin) {
    if (fin) static_cast<ServerState*>(u)->push(c, s);
  };
  scb.on_event = [](void* u, braid_conn c, const braid_event* ev) {
    if (ev->type == BRAID_EVENT_STREAM_WRITABLE) static_cast<ServerState*>(u)->push(c, ev->stream);
  };
  EXPECT_EQ(braid_server_set_callbacks(server, &scb, &ss), BRAID_OK);
  EXPECT_EQ(braid_server_address(server, addr, sizeof addr), BRAID_OK);
  return server;
}

struct ClientState {
  uint64_t stream = 0;
  bool requested = false, done = false, mismatch = false;
  size_t bytes = 0;
  int path_active_events = 0;
};

TEST(CApi, DownloadOverTwoLoopbackPathsFillsTheStats) {
  ConfigPtr scfg;
  ASSERT_EQ(braid_config_set_scheduler(scfg.p, "rr"), BRAID_OK);   // both paths carry data
  ServerState ss;
  char addr[64];
  braid_server* server = start_pattern_server(scfg, ss, addr);
  ASSERT_NE(server, nullptr);
  EXPECT_NE(braid_server_port(server), 0);

  ConfigPtr ccfg;
  ASSERT_EQ(braid_config_set_alpn(ccfg.p, "capi-test"), BRAID_OK);
  ASSERT_EQ(braid_config_set_insecure(ccfg.p, 1), BRAID_OK);
  ASSERT_EQ(braid_config_add_path_address(ccfg.p, "127.0.0.2"), BRAID_OK);
  braid_client* client = nullptr;
  ASSERT_EQ(braid_client_new(ccfg.p, &client), BRAID_OK) << braid_last_error();
  ClientState cs;
  braid_callbacks ccb{};
  ccb.on_event = [](void* u, braid_conn c, const braid_event* ev) {
    auto* st = static_cast<ClientState*>(u);
    if (ev->type == BRAID_EVENT_HANDSHAKE_DONE) {
      size_t n = 0;
      if (braid_stream_open(c, 1, &st->stream) == BRAID_OK &&
          braid_stream_write(c, st->stream, reinterpret_cast<const uint8_t*>("get"), 3, 1, &n) == BRAID_OK && n == 3) {
        st->requested = true;
      }
    }
    if (ev->type == BRAID_EVENT_PATH_STATE && ev->path == 1 && ev->path_state == BRAID_PATH_ACTIVE) {
      st->path_active_events++;
    }
  };
  ccb.on_stream_data = [](void* u, braid_conn, uint64_t s, const uint8_t* data, size_t len, int fin) {
    auto* st = static_cast<ClientState*>(u);
    if (!st->requested || s != st->stream) return;
    for (size_t i = 0; i < len; ++i) st->mismatch |= data[i] != pattern_at(st->bytes + i);
    st->bytes += len;
    st->done |= fin != 0;
  };
  ASSERT_EQ(braid_client_set_callbacks(client, &ccb, &cs), BRAID_OK);
  braid_conn conn{};
  ASSERT_EQ(braid_client_connect(client, addr, &conn), BRAID_OK) << braid_last_error();

  for (int i = 0; i < 3000 && !cs.done; ++i) {
    braid_server_process(server, 0, nullptr);
    braid_client_process(client, 5, nullptr);
  }
  ASSERT_TRUE(cs.done) << cs.bytes << " bytes";
  EXPECT_EQ(cs.bytes, kBytes);
  EXPECT_FALSE(cs.mismatch);
  EXPECT_GE(cs.path_active_events, 1);

  braid_conn_stats st;
  ASSERT_EQ(braid_conn_stats_get(conn, &st), BRAID_OK);
  EXPECT_EQ(st.multipath, 1);
  EXPECT_EQ(st.stream_bytes_received, kBytes);
  EXPECT_GT(st.packets_received, 0u);
  ASSERT_EQ(st.path_count, 2u);
  EXPECT_EQ(st.paths_total, 2u);
  EXPECT_EQ(st.bonding, BRAID_BONDING_BONDED);
  for (size_t i = 0; i < st.path_count; ++i) {
    const auto& p = st.paths[i];
    EXPECT_EQ(p.id, i);
    EXPECT_EQ(p.state, BRAID_PATH_ACTIVE) << braid_path_state_name(p.state);
    EXPECT_GT(p.smoothed_rtt_us, 0u);
    EXPECT_GT(p.congestion_window, 0u);
    EXPECT_GT(p.packets_received, 0u);
    EXPECT_GT(p.stream_bytes_received, 0u) << "path " << i << " carried nothing";
    EXPECT_GE(p.mtu, 1200u);
  }
  EXPECT_EQ(std::string(st.paths[1].local).rfind("127.0.0.2:", 0), 0u) << st.paths[1].local;
  braid_path_stats one;
  ASSERT_EQ(braid_path_status(conn, 1, &one), BRAID_OK);
  EXPECT_EQ(one.id, 1u);
  EXPECT_EQ(braid_path_status(conn, 42, &one), BRAID_ERR_NOT_FOUND);
  EXPECT_EQ(braid_path_close(conn, 1), BRAID_OK);
  EXPECT_EQ(braid_conn_close(conn, 0, "bye"), BRAID_OK);
  braid_client_free(client);
  braid_server_free(server);
}

// The rest of the C surface on one connection: the server advertises a second address, the
// client hears it (BRAID_EVENT_ADDRESS_ADVERTISED) and opens a path there, switches that
// path's congestion controller, and pulls the download with braid_stream_read() under a
// small event queue.
struct PullClient {
  uint64_t stream = 0;
  bool requested = false, done = false, mismatch = false;
  size_t bytes = 0;
  std::string advertised;
  int advertised_events = 0;
  uint32_t advertised_path = 0;
  bool path_opened = false, cc_switched = false;
  std::vector<uint8_t> buf = std::vector<uint8_t>(32 * 1024);
};

TEST(CApi, AdvertisedAddressPullReadsAndPerPathController) {
  ConfigPtr scfg;
  ASSERT_EQ(braid_config_add_advertised_address(scfg.p, "127.0.0.5:0"), BRAID_OK);
  ServerState ss;
  char addr[64];
  braid_server* server = start_pattern_server(scfg, ss, addr);
  ASSERT_NE(server, nullptr);

  ConfigPtr ccfg;
  ASSERT_EQ(braid_config_set_alpn(ccfg.p, "capi-test"), BRAID_OK);
  ASSERT_EQ(braid_config_set_insecure(ccfg.p, 1), BRAID_OK);
  ASSERT_EQ(braid_config_set_accept_advertised_addresses(ccfg.p, 2), BRAID_OK);
  ASSERT_EQ(braid_config_set_deliver_stream_data(ccfg.p, 0), BRAID_OK);
  EXPECT_EQ(braid_config_set_max_queued_bytes(ccfg.p, 1000), BRAID_ERR_INVALID);
  ASSERT_EQ(braid_config_set_max_queued_bytes(ccfg.p, 256 * 1024), BRAID_OK);
  braid_client* client = nullptr;
  ASSERT_EQ(braid_client_new(ccfg.p, &client), BRAID_OK) << braid_last_error();
  PullClient cs;
  braid_callbacks ccb{};
  ccb.on_event = [](void* u, braid_conn c, const braid_event* ev) {
    auto* st = static_cast<PullClient*>(u);
    if (ev->type == BRAID_EVENT_HANDSHAKE_DONE) {
      size_t n = 0;
      if (braid_stream_open(c, 1, &st->stream) == BRAID_OK &&
          braid_stream_write(c, st->stream, reinterpret_cast<const uint8_t*>("get"), 3, 1, &n) == BRAID_OK && n == 3) {
        st->requested = true;
      }
    }
    if (ev->type == BRAID_EVENT_ADDRESS_ADVERTISED) {
      st->advertised = ev->address;
      st->advertised_events++;
      st->path_opened = braid_path_open(c, "127.0.0.1", ev->address, &st->advertised_path) == BRAID_OK;
    }
    if (ev->type == BRAID_EVENT_PATH_STATE && st->path_opened && ev->path == st->advertised_path &&
        ev->path_state == BRAID_PATH_ACTIVE && !st->cc_switched) {
      st->cc_switched = braid_path_set_congestion_controller(c, ev->path, "bbr") == BRAID_OK &&
                        braid_path_set_congestion_controller(c, ev->path, "warp") == BRAID_ERR_INVALID;
    }
    if (ev->type == BRAID_EVENT_STREAM_READABLE && st->requested && ev->stream == st->stream) {
      for (;;) {
        size_t got = 0;
        int fin = 0;
        if (braid_stream_read(c, st->stream, st->buf.data(), st->buf.size(), &got, &fin) != BRAID_OK) return;
        for (size_t i = 0; i < got; ++i) st->mismatch |= st->buf[i] != pattern_at(st->bytes + i);
        st->bytes += got;
        if (fin) st->done = true;
        if (got == 0 || fin) return;
      }
    }
  };
  ccb.on_stream_data = [](void*, braid_conn, uint64_t, const uint8_t*, size_t, int) {
    ADD_FAILURE() << "stream data delivered although deliver_stream_data is off";
  };
  ASSERT_EQ(braid_client_set_callbacks(client, &ccb, &cs), BRAID_OK);
  braid_conn conn{};
  ASSERT_EQ(braid_client_connect(client, addr, &conn), BRAID_OK) << braid_last_error();
  for (int i = 0; i < 4000 && !cs.done; ++i) {
    braid_server_process(server, 0, nullptr);
    braid_client_process(client, 5, nullptr);
  }
  ASSERT_TRUE(cs.done) << cs.bytes << " bytes";
  EXPECT_EQ(cs.bytes, kBytes);
  EXPECT_FALSE(cs.mismatch);
  EXPECT_EQ(cs.advertised_events, 1);
  EXPECT_EQ(cs.advertised.rfind("127.0.0.5:", 0), 0u) << cs.advertised;
  EXPECT_TRUE(cs.path_opened) << braid_last_error();
  EXPECT_TRUE(cs.cc_switched);
  braid_path_stats p;
  ASSERT_EQ(braid_path_status(conn, cs.advertised_path, &p), BRAID_OK);
  EXPECT_EQ(std::string(p.remote), cs.advertised);
  size_t got = 0;
  int fin = 0;
  EXPECT_EQ(braid_stream_read(conn, cs.stream, nullptr, 1, &got, &fin), BRAID_ERR_INVALID);
  EXPECT_EQ(braid_conn_close(conn, 0, "bye"), BRAID_OK);
  braid_client_free(client);
  braid_server_free(server);
}

}  // namespace
