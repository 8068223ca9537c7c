// `braid netem` families (braid_netem_*): per emulated link and direction, what was offered,
// forwarded and dropped (by reason), the queue and whether the link is up.
#include <array>

#include "metrics/family_builder.h"
#include "metrics/metrics_families.h"

namespace braid::metrics {

using detail::add_sample;
using detail::Labels;

namespace {

struct DirectionSeries {
  const char* name;
  const char* help;
  bool counter;
  double (*value)(const RelayDirectionValues&);
};

constexpr std::array kDirectionSeries{
    DirectionSeries{"braid_netem_packets_offered_total", "Datagrams that reached the emulated link", true,
                    [](const RelayDirectionValues& d) { return double(d.packets_offered); }},
    DirectionSeries{"braid_netem_packets_forwarded_total", "Datagrams delivered out of the link, duplicates included",
                    true, [](const RelayDirectionValues& d) { return double(d.packets_forwarded); }},
    DirectionSeries{"braid_netem_bytes_forwarded_total", "Bytes delivered out of the link", true,
                    [](const RelayDirectionValues& d) { return double(d.bytes_forwarded); }},
    DirectionSeries{"braid_netem_packets_duplicated_total", "Extra copies the link made (dup=)", true,
                    [](const RelayDirectionValues& d) { return double(d.packets_duplicated); }},
    DirectionSeries{"braid_netem_queue_bytes", "Bytes waiting in the link's queue", false,
                    [](const RelayDirectionValues& d) { return double(d.queue_bytes); }},
    DirectionSeries{"braid_netem_link_up", "1 while the link carries traffic, 0 while down or blackholed", false,
                    [](const RelayDirectionValues& d) { return d.up ? 1.0 : 0.0; }},
};

struct DropReason {
  const char* reason;
  uint64_t RelayDirectionValues::*field;
};

constexpr std::array kDropReasons{
    DropReason{"queue", &RelayDirectionValues::dropped_queue},
    DropReason{"loss", &RelayDirectionValues::dropped_loss},
    DropReason{"down", &RelayDirectionValues::dropped_down},
    DropReason{"mtu", &RelayDirectionValues::dropped_mtu},
};

Labels link_labels(const RelayLinkValues& l, const char* direction) { return {{"link", l.link}, {"direction", direction}}; }

}  // namespace

Families relay_families(std::span<const RelayLinkValues> links) {
  Families out;
  for (const auto& s : kDirectionSeries) {
    auto f = s.counter ? detail::counter(s.name, s.help) : detail::gauge(s.name, s.help);
    for (const auto& l : links) {
      add_sample(f, link_labels(l, "up"), s.value(l.up));
      add_sample(f, link_labels(l, "down"), s.value(l.down));
    }
    out.push_back(std::move(f));
  }
  auto dropped = detail::counter("braid_netem_packets_dropped_total", "Datagrams the link dropped, by reason");
  for (const auto& l : links) {
    for (const auto& [dir, values] : {std::pair{"up", &l.up}, std::pair{"down", &l.down}}) {
      for (const auto& r : kDropReasons) {
        auto labels = link_labels(l, dir);
        labels.push_back({"reason", r.reason});
        add_sample(dropped, std::move(labels), static_cast<double>(values->*(r.field)));
      }
    }
  }
  out.push_back(std::move(dropped));
  auto refused = detail::counter("braid_netem_packets_refused_total",
                                 "Datagrams refused before a link: relay store full or too many client flows");
  auto errors = detail::counter("braid_netem_send_errors_total", "Datagrams the relay failed to send");
  auto flows = detail::gauge("braid_netem_flows", "Client flows (upstream sockets) on the emulated path");
  for (const auto& l : links) {
    add_sample(refused, {{"link", l.link}, {"reason", "store_full"}}, static_cast<double>(l.store_full_drops));
    add_sample(refused, {{"link", l.link}, {"reason", "flow_limit"}}, static_cast<double>(l.flow_limit_drops));
    add_sample(errors, {{"link", l.link}}, static_cast<double>(l.send_errors));
    add_sample(flows, {{"link", l.link}}, static_cast<double>(l.flows));
  }
  for (auto* f : {&refused, &errors, &flows}) out.push_back(std::move(*f));
  return out;
}

}  // namespace braid::metrics
