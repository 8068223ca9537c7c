// Parsing of human-written quantities for command-line flags: sizes (256K, 1G), rates in
// bits per second (40M = 40 Mbit/s), durations (500ms, 2s) and fractions (0.01, 1%).
// Errors are messages that name the bad text and the accepted forms.
#pragma once
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "braid/time.h"

namespace braid::tool {

// Bytes. K/M/G (also KiB/MiB/GiB) are powers of 1024; KB/MB/GB powers of 1000; a plain
// number or trailing B means bytes. "1.5M" is allowed; the result is rounded down.
std::expected<uint64_t, std::string> parse_size(std::string_view text);
// Bits per second. K/M/G are powers of 1000, optionally followed by "bit", "bps" or "b/s"
// ("40M", "40Mbit", "2.5Gbps"); a plain number is bits per second.
std::expected<uint64_t, std::string> parse_rate(std::string_view text);
// A duration with a unit: ns, us, ms, s, m (minutes), h; fractions allowed ("1.5s").
std::expected<Duration, std::string> parse_duration(std::string_view text);
// A probability in [0, 1]: "0.01" or "1%".
std::expected<double, std::string> parse_fraction(std::string_view text);

}  // namespace braid::tool
