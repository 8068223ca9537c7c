// --ack-frequency on|off (client, server, perf): whether the connection offers and uses
// draft-ietf-quic-ack-frequency (docs/ack-frequency.md).
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace braid::tool {

inline void add_ack_frequency_flag(CLI::App* cmd, std::string& value) {
  cmd->add_option("--ack-frequency", value,
                  "on: offer min_ack_delay and ask the peer for fewer ACKs (draft-ietf-quic-ack-frequency); off: RFC 9000 ACKs")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
}

}  // namespace braid::tool
