// `braid receive --listen ADDR --dir DIR`: the receiving end of `braid send` (the same
// server as `braid server --accept-uploads DIR`, offering only the transfer ALPN).
#include <fmt/format.h>

#include <memory>

#include "tools/braid/detection_flags.h"
#include "tools/braid/file_server.h"
#include "tools/braid/metrics_flag.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"
#include "transfer/transfer_wire.h"

namespace braid::tool {
namespace {

struct ReceiveFlags {
  std::string listen = "0.0.0.0:4433", dir, cert, key, qlog_dir, keylog, duration, metrics;
  bool overwrite = false, once = false, quiet = false;
  uint64_t max_paths = 4;
  DetectionFlags detection;
};

void setup_receive(CLI::App& app) {
  auto f = std::make_shared<ReceiveFlags>();
  auto* cmd = app.add_subcommand("receive", "receive files sent with braid send into a directory");
  cmd->add_option("--listen", f->listen, "UDP ADDR:PORT")->capture_default_str();
  cmd->add_option("--dir", f->dir, "directory the files are written into")->required();
  cmd->add_flag("--overwrite", f->overwrite, "replace files that exist (default: refuse the transfer)");
  cmd->add_flag("--once", f->once, "exit after one transfer (exit code 1 if it failed)");
  cmd->add_option("--cert", f->cert, "certificate chain (PEM); default: a generated self-signed one");
  cmd->add_option("--key", f->key, "private key (PEM)");
  cmd->add_option("--qlog-dir", f->qlog_dir, "write <odcid>_server.sqlog here (also $QLOGDIR)");
  cmd->add_option("--keylog", f->keylog, "append NSS key-log lines (TLS secrets!) to this file");
  cmd->add_option("--max-paths", f->max_paths, "multipath: paths per connection (0 = multipath off)")->capture_default_str();
  cmd->add_option("--duration", f->duration, "stop after this long (e.g. 30s)");
  cmd->add_flag("--quiet", f->quiet, "no per-connection log lines");
  add_detection_flags(cmd, f->detection);
  add_metrics_flag(cmd, f->metrics);
  cmd->callback([f] {
    FileServerOptions o;
    auto addr = SocketAddress::parse(f->listen);
    if (!addr) fail_command("receive", fmt::format("--listen {}: expected ADDR:PORT", f->listen), 2);
    o.listen = *addr;
    o.alpn = {transfer::kTransferAlpn};
    o.upload_dir = f->dir;
    o.overwrite_uploads = f->overwrite;
    o.stop_after_uploads = f->once ? 1 : 0;
    o.cert_file = f->cert;
    o.key_file = f->key;
    o.qlog_dir = qlog_directory(f->qlog_dir);
    o.keylog_file = f->keylog;
    o.max_paths = f->max_paths;
    o.failure_detection = detection_config("receive", f->detection);
    o.log_connections = !f->quiet;
    auto summary = run_file_server("receive", std::move(o), f->duration, f->metrics);
    if (f->once && summary.uploads_completed == 0) throw CLI::RuntimeError(1);
  });
}

}  // namespace

BRAID_SUBCOMMAND(receive, "receive", setup_receive);

}  // namespace braid::tool
