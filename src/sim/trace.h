// Mahimahi packet-delivery traces: one line per delivery opportunity for one MTU-sized
// packet, in integer milliseconds since the trace start; the trace repeats with a period
// equal to its last timestamp.
#pragma once
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "braid/time.h"

namespace braid::sim {

class Trace {
 public:
  // Reads a trace file; the error names the file and the offending line.
  static std::expected<Trace, std::string> load(const std::string& path);
  // Parses trace text (tests build small traces in memory). `name` appears in errors.
  static std::expected<Trace, std::string> parse(std::string_view text,
                                                 std::string_view name = "trace");

  // Delivery opportunities in ms since the start of one period, non-decreasing.
  const std::vector<uint32_t>& opportunities_ms() const { return opportunities_ms_; }
  size_t size() const { return opportunities_ms_.size(); }
  // The trace loops after this long (its last timestamp, always > 0).
  Duration period() const { return std::chrono::milliseconds{opportunities_ms_.back()}; }
  // Average capacity when each opportunity carries `bytes_per_opportunity` bytes.
  double mean_rate_bps(uint32_t bytes_per_opportunity = 1500) const;

 private:
  explicit Trace(std::vector<uint32_t> ms) : opportunities_ms_(std::move(ms)) {}
  std::vector<uint32_t> opportunities_ms_;
};

}  // namespace braid::sim
