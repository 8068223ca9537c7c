// The matrix runner: sequential runs (each bounded by its scenario's time_limit_s of virtual
// time), one Markdown or JSON table. Only virtual-time values go into the table, so the same
// inputs give the same table; wall-clock time is reported through on_row.
#include "sim/matrix.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>

#include "braid/path_scheduler.h"
#include "sim/expectations.h"
#include "sim/simulation.h"

namespace braid::sim {

namespace {

// Divides by the scale rather than multiplying by the unit, so 2.916256 stays 2.916256 in JSON.
double round_to(double v, double unit) {
  double scale = std::round(1 / unit);
  return std::round(v * scale) / scale;
}

double aggregate_goodput_mbps(const SimulationResult& r) {
  if (r.clients.size() == 1) return r.clients[0].goodput_mbps;
  double begin = 0, end = 0, bytes = 0;
  for (size_t i = 0; i < r.clients.size(); ++i) {
    const auto& c = r.clients[i];
    if (!c.completed) return 0;
    begin = i == 0 ? c.goodput_begin_s : std::min(begin, c.goodput_begin_s);
    end = i == 0 ? c.goodput_end_s : std::max(end, c.goodput_end_s);
    bytes += static_cast<double>(c.goodput_bytes);
  }
  return end > begin ? bytes * 8 / (end - begin) / 1e6 : 0;
}

// "max_stall_s: client c: 0.7 > 0.5" → "max_stall_s".
std::vector<std::string> failed_keys(const std::vector<std::string>& failures) {
  std::vector<std::string> keys;
  for (const auto& f : failures) {
    std::string k = f.substr(0, f.find(':'));
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  return keys;
}

std::string verdict(const MatrixRow& r) {
  if (!r.error.empty()) return r.skipped ? "skipped: " + r.error : "error: " + r.error;
  if (r.expectation_failures.empty()) return "pass";
  return fmt::format("fail: {}", fmt::join(failed_keys(r.expectation_failures), ", "));
}

// Markdown cells must not contain '|'.
std::string cell(std::string s) {
  std::replace(s.begin(), s.end(), '|', '/');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

std::vector<std::string> scenario_files_in(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = e.path().extension();
    if (e.is_regular_file(ec) && (ext == ".toml" || ext == ".json")) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

MatrixInput load_matrix_input(const std::string& file, const LoadOptions& opts) {
  MatrixInput in;
  auto s = load_scenario(file, opts);
  if (s) {
    in.label = s->name;
    in.scenario = std::move(*s);
  } else {
    in.label = std::filesystem::path(file).stem().string();
    in.error = s.error().message;
    in.missing_trace = s.error().missing_trace;
  }
  return in;
}

std::optional<double> path_capacity_mbps(const Scenario& s) {
  bool upstream = !s.clients.empty();
  for (const auto& c : s.clients) {
    for (const auto& w : c.workloads) upstream = upstream && w.upstream();
  }
  std::set<std::string> shared_seen;
  double sum = 0;
  for (const auto& c : s.clients) {
    for (const auto& p : c.paths) {
      const LinkRef& ref = upstream ? p.up : p.down;
      const LinkConfig* cfg = &ref.config;
      double copies = c.count;
      if (!ref.shared_name.empty()) {
        if (!shared_seen.insert(ref.shared_name).second) continue;
        auto it = s.shared_links.find(ref.shared_name);
        if (it == s.shared_links.end()) return std::nullopt;
        cfg = &it->second;
        copies = 1;
      }
      if (cfg->trace || cfg->rate_bps == 0) return std::nullopt;
      sum += static_cast<double>(cfg->rate_bps) * copies / 1e6;
    }
  }
  return sum;
}

std::vector<std::string> split_scheduler_list(std::string_view list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string_view piece = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    std::string p(piece);
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    bool parameter = p.find('=') != std::string::npos && p.find(':') == std::string::npos;
    if (parameter && !out.empty() && out.back().find(':') != std::string::npos) {
      out.back() += "," + p;
    } else if (!p.empty()) {
      out.push_back(p);
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::expected<std::vector<MatrixRow>, std::string> run_matrix(const std::vector<MatrixInput>& inputs,
                                                              const MatrixOptions& opts) {
  std::vector<PluginSpec> schedulers;
  if (opts.schedulers.empty()) {
    for (const auto& n : path_scheduler_names()) schedulers.emplace_back(n);
  } else {
    for (const auto& text : opts.schedulers) {
      auto spec = parse_scheduler_spec(text);
      if (!spec) return std::unexpected(fmt::format("scheduler '{}': {}", text, spec.error()));
      schedulers.push_back(std::move(*spec));
    }
  }
  for (const auto& cc : opts.congestion_controllers) {
    if (auto ok = check_congestion_controller(cc); !ok) return std::unexpected(fmt::format("cc: {}", ok.error()));
  }
  std::vector<MatrixRow> rows;
  for (const auto& in : inputs) {
    std::vector<std::string> ccs = opts.congestion_controllers;
    if (ccs.empty()) ccs.push_back(in.scenario ? in.scenario->transport.congestion_controller : "-");
    for (const auto& sched : schedulers) {
      for (const auto& cc : ccs) {
        MatrixRow row;
        row.scenario = in.label;
        row.scheduler = sched.to_string();
        row.congestion_controller = cc;
        auto wall_start = std::chrono::steady_clock::now();
        if (!in.scenario) {
          row.error = in.error;
          row.skipped = in.missing_trace;
        } else {
          Scenario s = *in.scenario;
          s.transport.scheduler = sched;
          s.transport.congestion_controller = cc;
          row.capacity_mbps = path_capacity_mbps(s);
          SimulationOptions so;
          so.seed = opts.seed;
          SimulationResult r;
          {
            Simulation sim(s, so);
            r = sim.run();
          }
          row.virtual_time_s = r.virtual_time_s;
          row.goodput_mbps = aggregate_goodput_mbps(r);
          if (row.capacity_mbps && *row.capacity_mbps > 0) {
            row.percent_of_capacity = row.goodput_mbps / *row.capacity_mbps * 100;
          }
          row.completed = !r.clients.empty();
          for (const auto& c : r.clients) {
            row.completed = row.completed && c.completed;
            row.longest_stall_s = std::max(row.longest_stall_s, c.longest_stall_s);
            if (c.latency.samples > 0) {
              row.message_p99_ms = std::max(row.message_p99_ms.value_or(0), c.latency.p99_ms);
            }
          }
          row.expectation_failures = check_expectations(s.expect, r);
        }
        double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
        if (opts.on_row) opts.on_row(row, wall);
        rows.push_back(std::move(row));
      }
    }
  }
  return rows;
}

std::string format_matrix_markdown(const std::vector<MatrixRow>& rows) {
  std::string out =
      "| scenario | scheduler | cc | goodput (Mbit/s) | % of path rates | longest stall (s) | message p99 (ms) | "
      "completed | expect |\n"
      "|---|---|---|---:|---:|---:|---:|---|---|\n";
  for (const auto& r : rows) {
    if (!r.error.empty()) {
      fmt::format_to(std::back_inserter(out), "| {} | {} | {} | - | - | - | - | - | {} |\n", cell(r.scenario),
                     cell(r.scheduler), cell(r.congestion_controller), cell(verdict(r)));
      continue;
    }
    fmt::format_to(std::back_inserter(out), "| {} | {} | {} | {:.2f} | {} | {:.3f} | {} | {} | {} |\n", cell(r.scenario),
                   cell(r.scheduler), cell(r.congestion_controller), r.goodput_mbps,
                   r.percent_of_capacity ? fmt::format("{:.1f}", *r.percent_of_capacity) : "-", r.longest_stall_s,
                   r.message_p99_ms ? fmt::format("{:.1f}", *r.message_p99_ms) : "-", r.completed ? "yes" : "no",
                   cell(verdict(r)));
  }
  return out;
}

std::string format_matrix_json(const std::vector<MatrixRow>& rows) {
  using nlohmann::ordered_json;
  ordered_json arr = ordered_json::array();
  auto opt = [](const std::optional<double>& v, double unit) {
    return v ? ordered_json(round_to(*v, unit)) : ordered_json(nullptr);
  };
  for (const auto& r : rows) {
    ordered_json j;
    j["scenario"] = r.scenario;
    j["scheduler"] = r.scheduler;
    j["congestion_controller"] = r.congestion_controller;
    if (!r.error.empty()) {
      j["error"] = r.error;
      j["skipped"] = r.skipped;
      arr.push_back(std::move(j));
      continue;
    }
    j["goodput_mbps"] = round_to(r.goodput_mbps, 1e-3);
    j["capacity_mbps"] = opt(r.capacity_mbps, 1e-3);
    j["percent_of_capacity"] = opt(r.percent_of_capacity, 1e-2);
    j["longest_stall_s"] = round_to(r.longest_stall_s, 1e-6);
    j["message_p99_ms"] = opt(r.message_p99_ms, 1e-3);
    j["completed"] = r.completed;
    j["virtual_time_s"] = round_to(r.virtual_time_s, 1e-6);
    j["expectations_met"] = r.expectation_failures.empty();
    j["expectation_failures"] = r.expectation_failures;
    arr.push_back(std::move(j));
  }
  ordered_json root;
  root["rows"] = std::move(arr);
  return root.dump(2) + "\n";
}

}  // namespace braid::sim
