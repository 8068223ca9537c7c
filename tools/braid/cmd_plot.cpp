// `braid plot INPUT -o OUT.svg|OUT.png`: what every path did, as a picture. INPUT is a qlog
// (.sqlog JSON-SEQ or qlog JSON) or a `braid sim --json --timeseries` summary, told apart
// by content (plot_data.h); gnuplot draws it (plot_gnuplot.h).
#include <fmt/format.h>

#include "tools/braid/plot_data.h"
#include "tools/braid/plot_gnuplot.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"

namespace braid::tool {
namespace {

struct PlotOptions {
  std::string input;
  std::string output;
  std::string title;
};

void run_plot(const PlotOptions& o) {
  // The format first: a bad -o is a usage error however good the input is.
  if (auto f = plot_format_for(o.output); !f) fail_command("plot", f.error(), 2);
  auto data = load_plot_input(o.input);
  if (!data) fail_command("plot", data.error());
  if (auto r = render_plot(*data, o.output, o.title); !r) fail_command("plot", r.error());
  fmt::print("{}: {} path{} from {} ({:.2f} s, {} marks)\n", o.output, data->paths.size(),
             data->paths.size() == 1 ? "" : "s", data->description, data->t_max - data->t_min, data->marks.size());
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<PlotOptions>();
  auto* cmd = app.add_subcommand("plot", "draw per-path throughput, cwnd, RTT and bytes in flight (gnuplot)");
  cmd->add_option("input", opts->input, "a qlog (.sqlog) or a `braid sim --json --timeseries` summary")->required();
  cmd->add_option("-o,--output", opts->output, "the picture: .svg or .png")->required();
  cmd->add_option("--title", opts->title, "title above the panels (default: what the input is)");
  cmd->callback([opts] { run_plot(*opts); });
}

}  // namespace

BRAID_SUBCOMMAND(plot, "plot", setup);

}  // namespace braid::tool
