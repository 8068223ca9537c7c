// Drawing PlotData with gnuplot: the data files and the script go into a temporary
// directory, gnuplot (found on PATH) renders four stacked panels sharing the time axis —
// throughput, congestion window, smoothed RTT, bytes in flight — one colour per path, with
// the marks as vertical lines labelled in the top panel. The script writer is separate
// from running gnuplot so tests can read the script without gnuplot installed.
#pragma once
#include <expected>
#include <optional>
#include <string>

#include "tools/braid/plot_data.h"

namespace braid::tool {

enum class PlotFormat { kSvg, kPng };

// By the output's extension (.svg, .png; case-insensitive); anything else is an error.
std::expected<PlotFormat, std::string> plot_format_for(const std::string& output);

// Writes one data file per path and panel into `dir` and returns the gnuplot script that
// draws them into `output` (the title defaults to the data's description).
std::string write_gnuplot_files(const PlotData& data, const std::string& dir, PlotFormat format,
                                const std::string& output, const std::string& title);

// The executable `name` in $PATH, if any.
std::optional<std::string> find_on_path(const std::string& name);

// The whole job: temporary directory (removed afterwards), gnuplot, then the picture is
// copied to `output` only when gnuplot succeeded. Errors say what failed, with gnuplot's
// stderr when it was gnuplot.
std::expected<void, std::string> render_plot(const PlotData& data, const std::string& output, const std::string& title);

}  // namespace braid::tool
