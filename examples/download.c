/* The C API example: downloads one file from a `braid server` (hq-interop, "GET /name")
 * over two paths and checks it: its size and SHA-256 must equal those of the reference
 * file given on the command line (the file the server serves). Compiled as C11.
 *
 *   download 127.0.0.1:4433 /file.bin REFERENCE_FILE [SECOND_LOCAL_ADDRESS]
 */
#include <braid/braid.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct download {
  const char* request_path;
  uint64_t stream;
  int stream_open;
  uint64_t bytes;
  int done;
  int failed;
  gnutls_hash_hd_t hash;
};

static void on_event(void* user, braid_conn conn, const braid_event* ev) {
  struct download* d = user;
  if (ev->type == BRAID_EVENT_HANDSHAKE_DONE) {
    char request[512];
    size_t written = 0;
    int n = snprintf(request, sizeof request, "GET %s\r\n", d->request_path);
    if (braid_stream_open(conn, 1, &d->stream) != BRAID_OK ||
        braid_stream_write(conn, d->stream, (const uint8_t*)request, (size_t)n, 1, &written) != BRAID_OK ||
        written != (size_t)n) {
      fprintf(stderr, "cannot send the request: %s\n", braid_last_error());
      d->failed = 1;
      return;
    }
    d->stream_open = 1;
  } else if (ev->type == BRAID_EVENT_PATH_STATE) {
    printf("path %u: %s\n", ev->path, braid_path_state_name(ev->path_state));
  } else if (ev->type == BRAID_EVENT_STREAM_RESET && d->stream_open && ev->stream == d->stream) {
    fprintf(stderr, "the server refused the request (error %llu)\n", (unsigned long long)ev->error_code);
    d->failed = 1;
  }
}

static double now_seconds(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);   /* C11 */
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_stream_data(void* user, braid_conn conn, uint64_t stream, const uint8_t* data, size_t len, int fin) {
  struct download* d = user;
  (void)conn;
  if (!d->stream_open || stream != d->stream) return;
  gnutls_hash(d->hash, data, len);
  d->bytes += len;
  if (fin) d->done = 1;
}

static void on_closed(void* user, braid_conn conn, uint64_t error_code, const char* reason) {
  struct download* d = user;
  (void)conn;
  if (!d->done) {
    fprintf(stderr, "connection closed (0x%llx): %s\n", (unsigned long long)error_code, reason);
    d->failed = 1;
  }
}

/* The reference file's size and SHA-256, or -1. */
static long reference_digest(const char* path, unsigned char digest[32]) {
  FILE* f = fopen(path, "rb");
  if (!f) return -1;
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return -1;
  }
  long size = ftell(f);
  rewind(f);
  unsigned char* buf = malloc(size > 0 ? (size_t)size : 1);
  if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, (size_t)size, digest);
  free(buf);
  return size;
}

static void print_paths(braid_conn conn) {
  braid_conn_stats st;
  if (braid_conn_stats_get(conn, &st) != BRAID_OK) return;
  for (size_t i = 0; i < st.path_count; ++i) {
    const braid_path_stats* p = &st.paths[i];
    printf("path %u %s -> %s state=%s srtt_us=%llu cwnd=%llu stream_bytes_received=%llu packets_lost=%llu\n",
           p->id, p->local, p->remote, braid_path_state_name(p->state), (unsigned long long)p->smoothed_rtt_us,
           (unsigned long long)p->congestion_window, (unsigned long long)p->stream_bytes_received,
           (unsigned long long)p->packets_lost);
  }
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s SERVER:PORT /NAME REFERENCE_FILE [SECOND_LOCAL_ADDRESS]\n", argv[0]);
    return 2;
  }
  unsigned char want[32], got[32];
  long want_size = reference_digest(argv[3], want);
  if (want_size < 0) {
    fprintf(stderr, "cannot read %s\n", argv[3]);
    return 2;
  }

  braid_config* cfg = braid_config_new();
  if (!cfg || braid_config_set_alpn(cfg, "hq-interop") != BRAID_OK || braid_config_set_insecure(cfg, 1) != BRAID_OK ||
      braid_config_add_path_address(cfg, argc > 4 ? argv[4] : "127.0.0.2") != BRAID_OK) {
    fprintf(stderr, "config: %s\n", braid_last_error());
    return 1;
  }
  braid_client* client = NULL;
  braid_status s = braid_client_new(cfg, &client);
  braid_config_free(cfg);   /* the client keeps its own copy */
  if (s != BRAID_OK) {
    fprintf(stderr, "client: %s: %s\n", braid_strerror(s), braid_last_error());
    return 1;
  }

  struct download d;
  memset(&d, 0, sizeof d);
  d.request_path = argv[2];
  gnutls_hash_init(&d.hash, GNUTLS_DIG_SHA256);
  braid_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.on_event = on_event;
  cb.on_stream_data = on_stream_data;
  cb.on_closed = on_closed;
  braid_client_set_callbacks(client, &cb, &d);

  braid_conn conn;
  s = braid_client_connect(client, argv[1], &conn);
  if (s != BRAID_OK) {
    fprintf(stderr, "connect: %s: %s\n", braid_strerror(s), braid_last_error());
    braid_client_free(client);
    return 1;
  }
  /* Up to 60 s of wall time: process() returns as soon as it dispatched what was waiting,
   * so the calls are not counted, the clock is read. */
  double deadline = now_seconds() + 60;
  while (!d.done && !d.failed && now_seconds() < deadline) braid_client_process(client, 100, NULL);
  gnutls_hash_deinit(d.hash, got);
  int ok = d.done && !d.failed && d.bytes == (uint64_t)want_size && memcmp(want, got, sizeof got) == 0;
  print_paths(conn);
  braid_conn_close(conn, 0, "done");
  braid_client_free(client);
  if (!ok) {
    fprintf(stderr, "download failed: %llu of %ld bytes, %s\n", (unsigned long long)d.bytes, want_size,
            d.done ? "SHA-256 differs" : "not complete");
    return 1;
  }
  printf("downloaded %llu bytes, SHA-256 verified\n", (unsigned long long)d.bytes);
  return 0;
}
