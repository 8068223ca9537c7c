// braid_config and its setters: names are checked against the registries here, so a typo
// fails at the setter with the list of what is known instead of at connection start.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "braid/congestion_controller.h"
#include "braid/path_scheduler.h"
#include "capi/capi_internal.h"

using braid::capi::guarded;
using braid::capi::invalid;

namespace {

std::string joined(const std::vector<std::string>& names) { return fmt::format("{}", fmt::join(names, ", ")); }

std::vector<std::string> split_list(const char* text) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = text; *p; ++p) {
    if (*p == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (*p != ' ') {
      cur += *p;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Common shape of a setter: null checks, then the body.
template <typename F>
braid_status setter(braid_config* cfg, F&& body) {
  if (!cfg) return invalid("config is NULL");
  return guarded([&] { return body(cfg->options); });
}

}  // namespace

extern "C" {

size_t braid_scheduler_names(char* buf, size_t len) {
  try {
    return braid::capi::copy_out(joined(braid::path_scheduler_names()), buf, len);
  } catch (...) {
    return braid::capi::copy_out("", buf, len);
  }
}

size_t braid_congestion_controller_names(char* buf, size_t len) {
  try {
    return braid::capi::copy_out(joined(braid::congestion_controller_names()), buf, len);
  } catch (...) {
    return braid::capi::copy_out("", buf, len);
  }
}

braid_config* braid_config_new(void) {
  try {
    auto* c = new braid_config();
    c->options.bind.reset();
    return c;
  } catch (...) {
    return nullptr;
  }
}

void braid_config_free(braid_config* cfg) { delete cfg; }

braid_status braid_config_set_alpn(braid_config* cfg, const char* list) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (!list) return invalid("ALPN list is NULL");
    auto names = split_list(list);
    if (names.empty()) return invalid("ALPN list is empty");
    for (const auto& n : names) {
      if (n.size() > 255) return invalid("an ALPN protocol name is longer than 255 bytes");
    }
    o.connection.tls.alpn = std::move(names);
    return BRAID_OK;
  });
}

braid_status braid_config_set_cert_files(braid_config* cfg, const char* cert, const char* key) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (!cert || !key || !*cert || !*key) return invalid("certificate and key file names are both needed");
    o.connection.tls.cert_file = cert;
    o.connection.tls.key_file = key;
    return BRAID_OK;
  });
}

braid_status braid_config_set_ca_file(braid_config* cfg, const char* ca) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (!ca) return invalid("CA file name is NULL");
    o.connection.tls.ca_file = ca;
    return BRAID_OK;
  });
}

braid_status braid_config_set_insecure(braid_config* cfg, int skip) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    o.connection.tls.insecure = skip != 0;
    return BRAID_OK;
  });
}

braid_status braid_config_set_server_name(braid_config* cfg, const char* name) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (!name || !*name) return invalid("server name is empty");
    o.connection.tls.server_name = name;
    return BRAID_OK;
  });
}

braid_status braid_config_set_scheduler(braid_config* cfg, const char* spec) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (!spec) return invalid("scheduler is NULL");
    auto parsed = braid::parse_plugin_spec(spec);
    if (!parsed) return invalid(fmt::format("scheduler '{}': {}", spec, parsed.error()));
    if (auto s = braid::make_path_scheduler(*parsed); !s) {
      return invalid(fmt::format("scheduler '{}': {} (known: {})", spec, s.error(), joined(braid::path_scheduler_names())));
    }
    o.connection.scheduler = *parsed;
    return BRAID_OK;
  });
}

braid_status braid_config_set_congestion_controller(braid_config* cfg, const char* name) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (!name) return invalid("congestion controller is NULL");
    auto known = braid::congestion_controller_names();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return invalid(fmt::format("unknown congestion controller '{}' (known: {})", name, joined(known)));
    }
    o.connection.congestion_controller = name;
    return BRAID_OK;
  });
}

braid_status braid_config_set_idle_timeout_ms(braid_config* cfg, uint64_t ms) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    // The transport parameter is a varint of milliseconds; far beyond any useful value.
    if (ms > (uint64_t{1} << 40)) return invalid("idle timeout is too large");
    o.connection.idle_timeout = std::chrono::milliseconds(ms);
    return BRAID_OK;
  });
}

braid_status braid_config_set_multipath(braid_config* cfg, int enabled) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    o.connection.initial_max_path_id = enabled ? 3 : 0;
    return BRAID_OK;
  });
}

braid_status braid_config_set_max_paths(braid_config* cfg, uint32_t paths) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (paths == 0) return invalid("max paths is at least 1 (1: single-path)");
    o.connection.initial_max_path_id = paths - 1;
    return BRAID_OK;
  });
}

braid_status braid_config_set_bind(braid_config* cfg, const char* address) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    auto a = braid::capi::parse_address(address);
    if (!a) return invalid(fmt::format("'{}' is not an address (e.g. 127.0.0.1:0 or [::1]:4433)", address ? address : "(null)"));
    o.bind = *a;
    return BRAID_OK;
  });
}

braid_status braid_config_add_path_address(braid_config* cfg, const char* address) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    auto a = braid::capi::parse_address(address);
    if (!a) return invalid(fmt::format("'{}' is not an address (e.g. 127.0.0.2)", address ? address : "(null)"));
    o.path_addresses.push_back(*a);
    return BRAID_OK;
  });
}

braid_status braid_config_add_advertised_address(braid_config* cfg, const char* address) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    auto a = braid::capi::parse_address(address);
    if (!a || !braid::is_advertisable(braid::SocketAddress{a->family, a->ip, 1})) {
      return invalid(fmt::format("'{}' is not a concrete unicast address (e.g. 127.0.0.2:4433)",
                                 address ? address : "(null)"));
    }
    if (o.connection.advertise_addresses.size() >= braid::kMaxAdvertisedAddresses) {
      return invalid(fmt::format("at most {} advertised addresses", braid::kMaxAdvertisedAddresses));
    }
    o.connection.advertise_addresses.push_back(*a);
    return BRAID_OK;
  });
}

braid_status braid_config_set_max_queued_bytes(braid_config* cfg, uint64_t bytes) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (bytes < 64 * 1024) return invalid(fmt::format("max queued bytes {} is below 64 KiB", bytes));
    o.max_queued_bytes = static_cast<size_t>(bytes);
    return BRAID_OK;
  });
}

braid_status braid_config_set_deliver_stream_data(braid_config* cfg, int deliver) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    o.deliver_stream_data = deliver != 0;
    return BRAID_OK;
  });
}

braid_status braid_config_set_accept_advertised_addresses(braid_config* cfg, uint32_t count) {
  return setter(cfg, [&](braid::RuntimeOptions& o) {
    if (count > braid::kMaxAdvertisedAddresses) {
      return invalid(fmt::format("at most {} advertised addresses", braid::kMaxAdvertisedAddresses));
    }
    o.connection.accept_advertised_addresses = count;
    return BRAID_OK;
  });
}

}  // extern "C"
