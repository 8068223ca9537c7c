// Test helpers for the tool tests that run the `braid` binary: a subprocess with its output
// collected, and a Prometheus scrape of its /metrics (plain HTTP/1.0 over 127.0.0.1).
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <vector>

extern char** environ;

namespace braid::net_test {

using Clock = std::chrono::steady_clock;

// GET /metrics over HTTP/1.0 with a plain socket; the body, or nullopt when the exporter did
// not answer 200 within `limit`.
inline std::optional<std::string> scrape(uint16_t port, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{static_cast<time_t>(limit.count() / 1000), static_cast<suseconds_t>(limit.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[16384];
      auto deadline = Clock::now() + limit;
      ssize_t n;
      while (Clock::now() < deadline && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, size_t(n));
    }
  }
  ::close(fd);
  auto head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") > response.find("\r\n") ||
      head_end == std::string::npos) {
    return std::nullopt;
  }
  return response.substr(head_end + 4);
}

// The value of the sample `name{labels}` in a text exposition; `labels` is the exact label
// text, e.g. role="client",path_id="0".
inline std::optional<double> sample(const std::string& body, const std::string& name, const std::string& labels) {
  std::string key = labels.empty() ? name + " " : name + "{" + labels + "} ";
  for (size_t pos = 0; (pos = body.find(key, pos)) != std::string::npos; pos += key.size()) {
    if (pos != 0 && body[pos - 1] != '\n') continue;
    return std::stod(body.substr(pos + key.size()));
  }
  return std::nullopt;
}

// A `braid` subprocess whose stdout and stderr are collected as they come.
class Tool {
 public:
  explicit Tool(const std::vector<std::string>& args) {
    int out[2], err[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
    EXPECT_EQ(pipe2(err, O_CLOEXEC | O_NONBLOCK), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~Tool() {
    if (running()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
    close(err_fd_);
  }

  // Waits until stdout+stderr match `re` (first group returned) or `limit` passes.
  std::optional<std::string> wait_for(const std::regex& re, std::chrono::seconds limit = std::chrono::seconds(10)) {
    auto deadline = Clock::now() + limit;
    std::smatch m;
    for (;;) {
      drain();
      std::string all = out_ + err_;
      if (std::regex_search(all, m, re)) return m[1].str();
      if (Clock::now() >= deadline) return std::nullopt;
      pollfd p[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
      poll(p, 2, 50);
    }
  }
  void drain() {
    char buf[8192];
    ssize_t n;
    while ((n = read(out_fd_, buf, sizeof buf)) > 0) out_.append(buf, size_t(n));
    while ((n = read(err_fd_, buf, sizeof buf)) > 0) err_.append(buf, size_t(n));
  }
  bool running() {
    if (exited_) return false;
    if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }
  // SIGTERM, then the exit code (-1: had to be killed or did not exit cleanly).
  int stop() {
    if (running()) kill(pid_, SIGTERM);
    for (int i = 0; i < 250 && running(); ++i) usleep(20000);
    if (running()) return -1;
    drain();
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  int exit_code() const { return exited_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }
  std::string output() {
    drain();
    return out_ + err_;
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string out_, err_;
};

inline const std::regex kMetricsLine(R"(metrics: http://127\.0\.0\.1:([0-9]+)/metrics)");

}  // namespace braid::net_test
