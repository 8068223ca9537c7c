// Shared by the interop suites (quic-go, picoquic): child processes bounded in time and
// killed with their process group, a corpus of test files written once per test process,
// SHA-256 helpers, and a fixture base that spawns servers and clients with their output
// kept in a per-test directory (printed on failure, removed on success).
#pragma once
#include <gnutls/crypto.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace braid::interop {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string tail(const std::string& s, size_t n = 6000) {
  return s.size() <= n ? s : "[...]\n" + s.substr(s.size() - n);
}

inline std::string sha256_hex(const std::string& data) {
  std::array<unsigned char, 32> digest{};
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data(), data.size(), digest.data()) != 0) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// A child process with stdout and stderr redirected to files. Killed, with its whole
// process group, when destroyed; also killed by the kernel if this test process dies.
class Process {
 public:
  Process(std::vector<std::string> argv, fs::path out, fs::path err, fs::path cwd = {})
      : argv_(std::move(argv)), out_(std::move(out)), err_(std::move(err)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0) ::_exit(126);
      ::dup2(o, 1);
      ::dup2(e, 2);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(125);
      std::vector<char*> args;
      for (auto& a : argv_) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
      ::_exit(127);
    }
    if (pid_ > 0) ::setpgid(pid_, pid_);  // also from the parent: no race with kill()
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { kill(); }

  bool started() const { return pid_ > 0; }
  bool running() {
    if (status_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
    return !status_;
  }
  // Exit code (128+signal if killed by a signal), or nullopt if it ran past the timeout,
  // in which case it is killed.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        kill();
        return std::nullopt;
      }
      std::this_thread::sleep_for(10ms);
    }
    return exit_code();
  }
  void kill() { signal(SIGKILL); }
  // Sends `sig` to the process group; SIGKILL also reaps it.
  void signal(int sig) {
    if (pid_ <= 0 || status_) return;
    ::kill(-pid_, sig);
    ::kill(pid_, sig);
    if (sig != SIGKILL) return;
    int st = 0;
    if (::waitpid(pid_, &st, 0) == pid_) status_ = st;
  }
  std::optional<int> exit_code() const {
    if (!status_) return std::nullopt;
    if (WIFEXITED(*status_)) return WEXITSTATUS(*status_);
    return 128 + WTERMSIG(*status_);
  }
  std::string out() const { return read_file(out_); }
  std::string err() const { return read_file(err_); }
  std::string command() const {
    std::string s;
    for (auto& a : argv_) s += (s.empty() ? "" : " ") + a;
    return s;
  }

 private:
  std::vector<std::string> argv_;
  fs::path out_, err_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Files of pseudo-random bytes (fixed seed), written under a per-process directory.
class Corpus {
 public:
  Corpus(std::string tag, std::vector<std::pair<std::string, size_t>> random_files,
         std::vector<std::pair<std::string, std::string>> text_files = {}) {
    root = fs::temp_directory_path() / ("braid-" + tag + "-root-" + std::to_string(::getpid()));
    fs::create_directories(root);
    std::mt19937_64 rng(0xb4a1d);
    for (auto& [name, n] : random_files) {
      std::string s(n, '\0');
      for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t v = rng();
        std::memcpy(&s[i], &v, 8);
      }
      for (size_t i = n - n % 8; i < n; ++i) s[i] = static_cast<char>(rng());
      files.emplace_back(name, std::move(s));
    }
    for (auto& t : text_files) files.push_back(t);
    for (auto& [name, content] : files) std::ofstream(root / name, std::ios::binary) << content;
  }
  ~Corpus() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  const std::string& content(const std::string& name) const {
    for (auto& [n, c] : files)
      if (n == name) return c;
    static const std::string none;
    return none;
  }

  fs::path root;
  std::vector<std::pair<std::string, std::string>> files;  // name -> content
};

// Test base: a directory per test, processes spawned into it, logs on failure.
class InteropTest : public ::testing::Test {
 protected:
  static constexpr auto kClientTimeout = 90s;  // one whole client run
  static constexpr auto kListenTimeout = 15s;  // server start until it reports its port

  void make_dir(const std::string& suite) {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("braid-" + suite + "-" + info->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  void TearDown() override {
    for (auto& p : procs_) p->kill();
    if (HasFailure()) {
      for (auto& p : procs_) {
        std::printf("---- %s\n---- stdout:\n%s\n---- stderr:\n%s\n", p->command().c_str(), tail(p->out()).c_str(),
                    tail(p->err()).c_str());
      }
      std::printf("(logs kept in %s)\n", dir_.c_str());
    } else if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  Process& spawn(const std::string& tag, std::vector<std::string> argv, fs::path cwd = {}) {
    auto n = std::to_string(procs_.size());
    procs_.push_back(std::make_unique<Process>(std::move(argv), dir_ / (n + "-" + tag + ".out"),
                                               dir_ / (n + "-" + tag + ".err"), std::move(cwd)));
    return *procs_.back();
  }

  // Waits until the process's output matches `re` (the first group is returned), or fails.
  std::optional<std::string> wait_for_output(Process& p, const std::regex& re, const std::string& what,
                                             std::chrono::milliseconds timeout = kListenTimeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      std::string out = p.out() + p.err();
      if (std::regex_search(out, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
      if (!p.running()) break;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << p.command() << ": did not report " << what << " (exit code "
                  << (p.exit_code() ? std::to_string(*p.exit_code()) : "none, still running") << ")";
    return std::nullopt;
  }

  // Runs a client to completion (bounded by kClientTimeout); returns its exit code.
  int run_client(const std::string& tag, std::vector<std::string> argv, Process** proc = nullptr, fs::path cwd = {}) {
    Process& p = spawn(tag, std::move(argv), std::move(cwd));
    if (proc) *proc = &p;
    auto rc = p.wait(kClientTimeout);
    if (!rc) {
      ADD_FAILURE() << tag << " ran longer than " << kClientTimeout.count() << "s and was killed";
      return -1;
    }
    return *rc;
  }

  void expect_file_equals(const fs::path& got, const std::string& want, const std::string& name) {
    ASSERT_TRUE(fs::exists(got)) << got << " was not written";
    std::string data = read_file(got);
    EXPECT_EQ(data.size(), want.size()) << name;
    EXPECT_EQ(sha256_hex(data), sha256_hex(want)) << name << " differs";
  }

  fs::path dir_;
  std::vector<std::unique_ptr<Process>> procs_;
};

}  // namespace braid::interop
