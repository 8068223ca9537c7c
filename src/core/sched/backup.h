// Backup-aware wrapper (ALGORITHMS.md §2.9: MPTCP and draft-ietf-quic-multipath backup
// semantics): `backup:inner=NAME` runs any registered scheduler (default minrtt) on a view
// of the paths. While a non-backup path is usable (even if only cwnd-blocked) the inner
// scheduler sees no backup path; when none is, it sees only the backup paths, shown as
// ordinary ones (backup flag cleared, statuses kept). Affinity is honoured first; the inner
// answer is trimmed to shown paths that can send; all feedback is forwarded.
#pragma once
#include <memory>
#include <string>

#include "braid/path_scheduler.h"

namespace braid::sched {

class BackupScheduler final : public PathScheduler {
 public:
  BackupScheduler(std::unique_ptr<PathScheduler> inner, std::string name)
      : inner_(std::move(inner)), name_(std::move(name)) {}
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  void on_sent(PathId path, uint64_t bytes, SendKind kind, TimePoint now) override {
    inner_->on_sent(path, bytes, kind, now);
  }
  void on_acked(PathId path, uint64_t bytes, TimePoint now) override { inner_->on_acked(path, bytes, now); }
  void on_lost(PathId path, uint64_t bytes, TimePoint now) override { inner_->on_lost(path, bytes, now); }
  void on_path_event(PathId path, PathEventKind kind, TimePoint now) override {
    inner_->on_path_event(path, kind, now);
  }
  std::string_view name() const override { return name_; }   // "backup:inner=NAME"

 private:
  std::unique_ptr<PathScheduler> inner_;
  std::string name_;
};

// The factory: reads `inner` and hands every other parameter to the inner scheduler.
std::expected<std::unique_ptr<PathScheduler>, std::string> make_backup_scheduler(const PluginParams& params);

}  // namespace braid::sched
