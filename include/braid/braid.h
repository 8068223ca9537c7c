/* braid's C API: a multipath QUIC client or server with its own event-loop thread.
 *
 * Call order: braid_config_new() and its setters; braid_client_new() or braid_server_new()
 * (the config is copied: free it whenever you like); braid_*_set_callbacks(); then
 * braid_client_connect() or wait for clients; call braid_*_process() in your own loop
 * (or when braid_*_fd() is readable): it runs your callbacks on the calling thread for
 * everything that happened since. Commands on a connection (streams, paths, DATAGRAMs,
 * stats, close) may be called from any thread, callbacks included. braid_*_free() closes
 * every connection and joins the loop thread.
 *
 * Errors: every function that can fail returns a braid_status; BRAID_OK is 0. The text of
 * the last failure on the calling thread is braid_last_error() (valid until the next
 * failing call on that thread). No C++ exception crosses this interface.
 *
 * Ownership: strings passed in are copied. Pointers passed to callbacks are valid only
 * during the callback. A braid_conn is a plain value naming a connection of one client or
 * server; after that connection closed, commands on it return BRAID_ERR_NOT_FOUND; after
 * its client or server was freed it must not be used at all.
 *
 * Compiles as C11 (and C++). See docs/api.md. */
#ifndef BRAID_BRAID_H
#define BRAID_BRAID_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum braid_status {
  BRAID_OK = 0,
  BRAID_ERR_INVALID = 1,      /* bad argument: malformed address, unknown name, unreadable file */
  BRAID_ERR_NOT_FOUND = 2,    /* no such connection, stream or path (or already gone) */
  BRAID_ERR_NOT_READY = 3,    /* not yet: handshake not done, peer parameters unknown */
  BRAID_ERR_LIMIT = 4,        /* a limit of the peer or the configuration (streams, paths) */
  BRAID_ERR_WOULD_BLOCK = 5,  /* nothing fits now; an event says when to retry */
  BRAID_ERR_CLOSED = 6,       /* the connection or stream is closing or closed */
  BRAID_ERR_UNSUPPORTED = 7,  /* the peer did not negotiate it, or this role cannot do it */
  BRAID_ERR_SYSTEM = 8,       /* the operating system refused (threads, eventfd) */
  BRAID_ERR_INTERNAL = 9      /* out of memory or an unexpected internal error */
} braid_status;

const char* braid_strerror(braid_status status);   /* static text, never NULL */
const char* braid_last_error(void);                 /* "" when nothing failed yet */

/* Names the config setters accept, comma separated, e.g. "minrtt, rr, ...": written into
 * buf (always NUL-terminated when len > 0); returns the length the full text needs. */
size_t braid_scheduler_names(char* buf, size_t len);
size_t braid_congestion_controller_names(char* buf, size_t len);

/* ---- configuration ---- */
typedef struct braid_config braid_config;
braid_config* braid_config_new(void);               /* NULL only when out of memory */
void braid_config_free(braid_config* cfg);
braid_status braid_config_set_alpn(braid_config* cfg, const char* comma_list);  /* "hq-interop" */
braid_status braid_config_set_cert_files(braid_config* cfg, const char* cert_pem_file, const char* key_pem_file);
braid_status braid_config_set_ca_file(braid_config* cfg, const char* ca_pem_file);
braid_status braid_config_set_insecure(braid_config* cfg, int skip_verification);   /* client */
braid_status braid_config_set_server_name(braid_config* cfg, const char* name);     /* client: SNI */
/* "minrtt", "rr:quota=4", ...; unknown names: BRAID_ERR_INVALID, message lists known ones. */
braid_status braid_config_set_scheduler(braid_config* cfg, const char* spec);
braid_status braid_config_set_congestion_controller(braid_config* cfg, const char* name);
braid_status braid_config_set_idle_timeout_ms(braid_config* cfg, uint64_t ms);
/* Multipath is on by default (4 paths); off: single-path QUIC only. */
braid_status braid_config_set_multipath(braid_config* cfg, int enabled);
braid_status braid_config_set_max_paths(braid_config* cfg, uint32_t paths);
/* Server: the listen address ("127.0.0.1:0" picks a port). Client: the first socket's
 * address (default: the route's source address for the first connect). */
braid_status braid_config_set_bind(braid_config* cfg, const char* address);
/* Client: each connection opens one more path from this local address after its handshake. */
braid_status braid_config_add_path_address(braid_config* cfg, const char* address);
/* Address advertisement (docs/address-advertisement.md). Server: also listen on `address`
 * (port 0 picks one) and tell it to clients that accept advertisements; nothing else is
 * revealed. Client: accept up to `count` advertised addresses (0: off, at most 16); each
 * arrives as BRAID_EVENT_ADDRESS_ADVERTISED (its `address`) and braid_path_open() may use it. */
braid_status braid_config_add_advertised_address(braid_config* cfg, const char* address);
/* Stream and DATAGRAM bytes held for the application before reading pauses (default 8 MiB;
 * at least 64 KiB): a consumer that falls behind slows the peer through flow control. */
braid_status braid_config_set_max_queued_bytes(braid_config* cfg, uint64_t bytes);
/* 1 (default): stream bytes arrive in on_stream_data. 0: BRAID_EVENT_STREAM_READABLE
 * instead, and the application pulls them with braid_stream_read(). */
braid_status braid_config_set_deliver_stream_data(braid_config* cfg, int deliver);
braid_status braid_config_set_accept_advertised_addresses(braid_config* cfg, uint32_t count);

/* ---- vocabulary of events and stats ---- */
typedef enum braid_path_state {
  BRAID_PATH_CREATED, BRAID_PATH_VALIDATING, BRAID_PATH_VALIDATED, BRAID_PATH_ACTIVE,
  BRAID_PATH_STANDBY, BRAID_PATH_CLOSING, BRAID_PATH_CLOSED, BRAID_PATH_FAILED,
  BRAID_PATH_UNKNOWN
} braid_path_state;
typedef enum braid_path_health {
  BRAID_HEALTH_HEALTHY, BRAID_HEALTH_SUSPECT, BRAID_HEALTH_FAILED, BRAID_HEALTH_PROBING
} braid_path_health;
typedef enum braid_bonding_state {
  BRAID_BONDING_SINGLE_PATH, BRAID_BONDING_PENDING, BRAID_BONDING_BONDED, BRAID_BONDING_DEGRADED,
  BRAID_BONDING_UNKNOWN
} braid_bonding_state;
const char* braid_path_state_name(braid_path_state s);

typedef enum braid_event_type {
  BRAID_EVENT_HANDSHAKE_DONE,
  BRAID_EVENT_STREAM_OPENED,       /* the peer opened `stream` */
  BRAID_EVENT_STREAM_WRITABLE,     /* `stream` takes more bytes after a short write */
  BRAID_EVENT_STREAM_FINISHED,     /* everything sent on `stream` was acknowledged */
  BRAID_EVENT_STREAM_RESET,        /* the peer reset `stream` with `error_code` */
  BRAID_EVENT_STREAM_STOP_SENDING, /* the peer asked to stop sending on `stream` */
  BRAID_EVENT_PATH_STATE,          /* `path` changed to `path_state` */
  BRAID_EVENT_PATH_HEALTH,         /* failure detection: `path` is now `health` */
  BRAID_EVENT_BONDING,             /* the connection's `bonding` state changed */
  BRAID_EVENT_KEY_UPDATED,
  BRAID_EVENT_ADDRESS_ADVERTISED,  /* client: the server told a further `address` of its own */
  BRAID_EVENT_STREAM_READABLE,     /* deliver_stream_data off: braid_stream_read() `stream` */
  BRAID_EVENT_OTHER
} braid_event_type;

typedef struct braid_event {
  braid_event_type type;
  uint64_t stream;
  uint32_t path;
  uint64_t error_code;
  braid_path_state path_state;
  braid_path_health health;
  braid_bonding_state bonding;
  const char* detail;              /* human-readable, never NULL */
  const char* address;             /* BRAID_EVENT_ADDRESS_ADVERTISED: "ip:port"; else "" */
} braid_event;

typedef struct braid_runtime braid_runtime;
typedef struct braid_conn {
  braid_runtime* owner;
  uint64_t id;                     /* 0: no connection */
} braid_conn;

typedef struct braid_callbacks {
  /* Server: a client connected (its handshake completes later: BRAID_EVENT_HANDSHAKE_DONE). */
  void (*on_connection)(void* user, braid_conn conn);
  void (*on_event)(void* user, braid_conn conn, const braid_event* event);
  /* In-order stream bytes; fin != 0: the stream ended with these (len may be 0). */
  void (*on_stream_data)(void* user, braid_conn conn, uint64_t stream, const uint8_t* data, size_t len, int fin);
  void (*on_datagram)(void* user, braid_conn conn, const uint8_t* data, size_t len);
  /* The connection is gone; error_code 0 and reason "" when it closed without error. */
  void (*on_closed)(void* user, braid_conn conn, uint64_t error_code, const char* reason);
} braid_callbacks;

/* ---- client and server ---- */
typedef struct braid_client braid_client;
typedef struct braid_server braid_server;

braid_status braid_client_new(const braid_config* cfg, braid_client** out);
void braid_client_free(braid_client* client);
braid_status braid_client_set_callbacks(braid_client* client, const braid_callbacks* cb, void* user);
/* "127.0.0.1:4433" or "[::1]:4433" (numeric). The handshake's outcome arrives as events. */
braid_status braid_client_connect(braid_client* client, const char* remote, braid_conn* out);
int braid_client_fd(const braid_client* client);   /* readable while events wait */
/* Waits up to timeout_ms (0: not at all, -1: forever) for the first event, then runs the
 * callbacks for all waiting ones; *dispatched (may be NULL) gets how many ran. */
braid_status braid_client_process(braid_client* client, int timeout_ms, size_t* dispatched);

braid_status braid_server_new(const braid_config* cfg, braid_server** out);
void braid_server_free(braid_server* server);
braid_status braid_server_set_callbacks(braid_server* server, const braid_callbacks* cb, void* user);
uint16_t braid_server_port(const braid_server* server);
braid_status braid_server_address(const braid_server* server, char* buf, size_t len);
int braid_server_fd(const braid_server* server);
braid_status braid_server_process(braid_server* server, int timeout_ms, size_t* dispatched);

/* ---- connection commands (any thread) ---- */
braid_status braid_stream_open(braid_conn conn, int bidirectional, uint64_t* stream);
/* *written: bytes accepted (fewer than len: BRAID_EVENT_STREAM_WRITABLE follows). */
braid_status braid_stream_write(braid_conn conn, uint64_t stream, const uint8_t* data, size_t len, int fin,
                                size_t* written);
braid_status braid_stream_finish(braid_conn conn, uint64_t stream);
braid_status braid_stream_reset(braid_conn conn, uint64_t stream, uint64_t app_error);
/* Only with braid_config_set_deliver_stream_data(cfg, 0): up to `len` in-order bytes into
 * `buf`; *read is how many (0: nothing now, BRAID_EVENT_STREAM_READABLE follows), *fin is 1
 * once the last byte was read. */
braid_status braid_stream_read(braid_conn conn, uint64_t stream, uint8_t* buf, size_t len, size_t* read, int* fin);
braid_status braid_datagram_send(braid_conn conn, const uint8_t* data, size_t len);
/* remote NULL: the same server address as path 0. */
braid_status braid_path_open(braid_conn conn, const char* local, const char* remote, uint32_t* path);
braid_status braid_path_close(braid_conn conn, uint32_t path);
braid_status braid_path_set_backup(braid_conn conn, uint32_t path, int backup);
/* A fresh congestion controller `name` (braid_congestion_controller_names()) on one path. */
braid_status braid_path_set_congestion_controller(braid_conn conn, uint32_t path, const char* name);

#define BRAID_ADDRESS_LEN 64
#define BRAID_MAX_PATH_STATS 16
typedef struct braid_path_stats {
  uint32_t id;
  braid_path_state state;
  braid_path_health health;
  int backup;
  char local[BRAID_ADDRESS_LEN], remote[BRAID_ADDRESS_LEN];
  uint64_t smoothed_rtt_us, min_rtt_us, latest_rtt_us, rtt_variance_us;
  uint64_t congestion_window, bytes_in_flight;
  uint64_t bytes_sent, bytes_received, stream_bytes_sent, stream_bytes_received;
  uint64_t packets_sent, packets_received, packets_lost;
  uint64_t mtu;
} braid_path_stats;

typedef struct braid_conn_stats {
  uint64_t packets_sent, packets_received, packets_lost;
  uint64_t bytes_sent, bytes_received, stream_bytes_sent, stream_bytes_received;
  int multipath;
  braid_bonding_state bonding;
  size_t path_count;               /* entries filled in paths[] */
  size_t paths_total;              /* paths the connection has (may exceed BRAID_MAX_PATH_STATS) */
  braid_path_stats paths[BRAID_MAX_PATH_STATS];
} braid_conn_stats;

braid_status braid_conn_stats_get(braid_conn conn, braid_conn_stats* out);
braid_status braid_path_status(braid_conn conn, uint32_t path, braid_path_stats* out);
braid_status braid_conn_close(braid_conn conn, uint64_t app_error, const char* reason);

#ifdef __cplusplus
}
#endif

#endif /* BRAID_BRAID_H */
