// gnuplot script and run for `braid plot` (see plot_gnuplot.h).
#include "tools/braid/plot_gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

extern char** environ;

namespace braid::tool {
namespace {

namespace fs = std::filesystem;

// Distinguishable on white and for the common colour-vision deficiencies (Okabe-Ito first).
constexpr std::array<const char*, 8> kColours{"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                              "#e69f00", "#56b4e9", "#000000", "#8c564b"};
constexpr const char* kMarkGrey = "#777777";

// gnuplot single-quoted strings take everything literally except '' for one quote.
std::string gp_string(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else if (c != '\n' && c != '\r') out += c;
  }
  return out + "'";
}

const char* colour(int path) { return path < 0 ? kMarkGrey : kColours[static_cast<size_t>(path) % kColours.size()]; }

// A sender's qlog has a metrics record per packet: tens of thousands of points that no
// picture can show apart, and that make an SVG of many megabytes. Per time bucket (the
// width of about a pixel) keep the first, the lowest, the highest and the last point, in
// time order, so every peak and dip of a cwnd sawtooth survives.
PlotPoints decimate(const PlotPoints& points, double t_min, double t_max, size_t buckets = 1500) {
  if (points.size() <= 4 * buckets || t_max <= t_min) return points;
  PlotPoints out;
  const double width = (t_max - t_min) / static_cast<double>(buckets);
  size_t i = 0;
  while (i < points.size()) {
    const double end = t_min + (std::floor((points[i].first - t_min) / width) + 1) * width;
    size_t j = i, lo = i, hi = i;
    for (; j < points.size() && points[j].first < end; ++j) {
      if (points[j].second < points[lo].second) lo = j;
      if (points[j].second > points[hi].second) hi = j;
    }
    if (j == i) j = i + 1;   // a point at or past its own bucket end (rounding): take it alone
    size_t last = j - 1;
    size_t keep[4] = {i, std::min(lo, hi), std::max(lo, hi), last};
    for (size_t k = 0; k < 4; ++k) {
      if (k == 0 || keep[k] != keep[k - 1]) out.push_back(points[keep[k]]);
    }
    i = j;
  }
  return out;
}

// Writes `points` as "t value" lines; false (and no file) when there are none.
bool write_points(const fs::path& file, const PlotPoints& points, double t_min, double t_max) {
  if (points.empty()) return false;
  std::ofstream out(file);
  for (const auto& [t, v] : decimate(points, t_min, t_max)) out << fmt::format("{:.6f} {:.6g}\n", t, v);
  return static_cast<bool>(out);
}

struct Panel {
  const char* ylabel;
  const char* tag;                         // file name part
  PlotPoints PathSeries::*points;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = fmt::format("{}/braid-plot-XXXXXX", base && *base ? base : "/tmp");
    if (::mkdtemp(tmpl.data())) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

std::expected<PlotFormat, std::string> plot_format_for(const std::string& output) {
  std::string ext = fs::path(output).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".svg") return PlotFormat::kSvg;
  if (ext == ".png") return PlotFormat::kPng;
  return std::unexpected(fmt::format("{}: unknown output format \"{}\" (use .svg or .png)", output, ext));
}

std::string write_gnuplot_files(const PlotData& data, const std::string& dir, PlotFormat format,
                                const std::string& output, const std::string& title) {
  const Panel panels[4] = {{data.throughput_label.empty() ? "Mbit/s" : data.throughput_label.c_str(), "thr",
                            &PathSeries::throughput_mbps},
                           {"cwnd (kB)", "cwnd", &PathSeries::cwnd_kb},
                           {"smoothed RTT (ms)", "rtt", &PathSeries::rtt_ms},
                           {"bytes in flight (kB)", "inflight", &PathSeries::in_flight_kb}};
  std::string s;
  auto line = [&]<typename... Args>(fmt::format_string<Args...> f, Args&&... args) {
    fmt::format_to(std::back_inserter(s), f, std::forward<Args>(args)...);
    s += '\n';
  };
  if (format == PlotFormat::kSvg) {
    line("set terminal svg size 1200,900 dynamic font 'Sans,11' background rgb 'white'");
  } else {
    line("set terminal pngcairo size 1400,1000 font 'Sans,11' background rgb 'white'");
  }
  line("set output {}", gp_string(output));
  // Every text is noenhanced: literal, as path and scenario names may hold '_' or '^'. (Per
  // text, not `set termoption noenhanced`, which makes the SVG lose the series' titles.)
  line("set multiplot title {} font ',13' noenhanced", gp_string(title.empty() ? data.description : title));
  // Fixed margins so the four panels line up on one time axis; the legend sits right.
  line("set lmargin at screen 0.08");
  line("set rmargin at screen 0.86");
  line("set xrange [{:.6f}:{:.6f}]", data.t_min, data.t_max);
  line("set grid xtics ytics lc rgb '#e0e0e0'");
  line("set border lc rgb '#555555'");
  for (size_t i = 0; i < data.paths.size(); ++i) line("set style line {} lc rgb '{}' lw 1.6", i + 1, colour(static_cast<int>(i)));
  // Marks as vertical lines through every panel (arrows persist across the multiplot).
  for (size_t i = 0; i < data.marks.size(); ++i) {
    const auto& m = data.marks[i];
    line("set arrow {} from {:.6f}, graph 0 to {:.6f}, graph 1 nohead lc rgb '{}' dt 2 lw 1 back", i + 1, m.t_s, m.t_s,
         colour(m.path));
  }
  const double top = 0.93, bottom = 0.07, gap = 0.012;
  const double h = (top - bottom) / 4;
  // Labels are rotated text about a character wide: one that would overprint the previous
  // moves right by that much (its line stays at the exact time).
  const double min_label_gap = (data.t_max - data.t_min) / 110;
  for (int k = 0; k < 4; ++k) {
    const Panel& p = panels[k];
    line("set tmargin at screen {:.4f}", top - k * h);
    line("set bmargin at screen {:.4f}", top - (k + 1) * h + gap);
    line("set ylabel {} noenhanced", gp_string(p.ylabel));
    line("set yrange [0:*]");
    if (k < 3) {
      line("set format x ''");
      line("unset xlabel");
    } else {
      line("set format x '%g'");
      line("set xlabel 'time (s)'");
    }
    if (k == 0) {
      // Headroom above the data for the mark labels, which hang from the top.
      line("set offsets 0, 0, graph {}, 0", data.marks.empty() ? 0.05 : 0.45);
      line("set key at screen 0.995, screen {:.4f} right top vertical Left reverse samplen 2 spacing 1.3", top);
      double last = -1e300;
      int n = 0;
      for (const auto& m : data.marks) {
        const double x = std::max(m.t_s, last + min_label_gap);
        last = x;
        line("set label {} {} at {:.6f}, graph 0.98 rotate by 90 right offset character 0.9,0 font ',8' tc rgb '{}' "
             "front noenhanced",
             ++n, gp_string(m.label), x, colour(m.path));
      }
    } else {
      line("set offsets 0, 0, graph 0.05, 0");
      line("unset key");
      line("unset label");
    }
    std::vector<std::string> plots;
    for (size_t i = 0; i < data.paths.size(); ++i) {
      fs::path file = fs::path(dir) / fmt::format("p{}_{}.dat", i, p.tag);
      if (!write_points(file, data.paths[i].*(p.points), data.t_min, data.t_max)) continue;
      plots.push_back(fmt::format("{} using 1:2 with steps ls {} title {} noenhanced", gp_string(file.string()), i + 1,
                                  gp_string(data.paths[i].label)));
    }
    if (plots.empty()) {
      // Nothing measured for this panel: an empty frame rather than a gnuplot error.
      line("set yrange [0:1]");
      line("plot NaN notitle");
    } else {
      std::string joined;
      for (size_t i = 0; i < plots.size(); ++i) joined += (i ? ", \\\n     " : "") + plots[i];
      line("plot {}", joined);
    }
  }
  line("unset multiplot");
  return s;
}

std::optional<std::string> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return std::nullopt;
  std::string_view rest(path);
  while (true) {
    size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
    fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate.string();
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

std::expected<void, std::string> render_plot(const PlotData& data, const std::string& output, const std::string& title) {
  auto format = plot_format_for(output);
  if (!format) return std::unexpected(format.error());
  auto gnuplot = find_on_path("gnuplot");
  if (!gnuplot) {
    return std::unexpected("gnuplot not found on PATH (Debian: apt-get install gnuplot-nox)");
  }
  TempDir tmp;
  if (tmp.path.empty()) return std::unexpected("cannot create a temporary directory");
  // gnuplot writes into the temporary directory; only a finished picture reaches `output`.
  const fs::path rendered = tmp.path / (*format == PlotFormat::kSvg ? "plot.svg" : "plot.png");
  const fs::path script = tmp.path / "plot.gp";
  {
    std::ofstream out(script);
    out << write_gnuplot_files(data, tmp.path.string(), *format, rendered.string(), title);
    if (!out) return std::unexpected("cannot write the gnuplot script");
  }
  const fs::path errors = tmp.path / "gnuplot.stderr";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string arg0 = *gnuplot, arg1 = script.string();
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, gnuplot->c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return std::unexpected(fmt::format("cannot run {}: {}", *gnuplot, std::strerror(rc)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string err = read_file(errors);
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::unexpected(fmt::format("gnuplot failed ({}){}{}",
                                       WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                                         : std::string("killed by a signal"),
                                       err.empty() ? "" : ":\n", err));
  }
  std::error_code ec;
  if (!fs::exists(rendered, ec) || fs::file_size(rendered, ec) == 0) {
    return std::unexpected("gnuplot wrote no picture" + (err.empty() ? std::string() : ":\n" + err));
  }
  fs::copy_file(rendered, output, fs::copy_options::overwrite_existing, ec);
  if (ec) return std::unexpected(fmt::format("{}: {}", output, ec.message()));
  return {};
}

}  // namespace braid::tool
