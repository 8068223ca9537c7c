// The command-line tool's on-disk RTT prior cache: reads and atomically rewrites the text form
// of an RttPriorStore (see braid/rtt_prior.h for the format).
#pragma once
#include <expected>
#include <string>

#include "braid/rtt_prior.h"

namespace braid::io {

// Files larger than this are refused as corrupt rather than read.
inline constexpr size_t kMaxRttCacheFileBytes = 4 * 1024 * 1024;

// Replaces the store's contents (keeping its options and bound) with the file's. A missing file
// is not an error and leaves the store unchanged; an unreadable or corrupt file is an error
// ("<path>: <reason>") and also leaves the store unchanged.
std::expected<void, std::string> load_rtt_cache(const std::string& path, RttPriorStore& store);

// Writes the store to `path.tmp`, then renames it over `path` so readers see the old file or
// the new one, never a partial one. The .tmp is removed on failure. No fsync.
std::expected<void, std::string> save_rtt_cache(const std::string& path, const RttPriorStore& store);

}  // namespace braid::io
