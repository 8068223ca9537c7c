// --auto-paths for the client: follows the host's interfaces (io::InterfaceMonitor) and keeps
// one path per usable local address of the server's family. An address that appears gets a
// socket (EndpointDriver::add_socket) and a path (open_path); one that goes away, or whose
// link goes down, has its path abandoned (close_path: PATH_ABANDON) and its socket released.
// Both are recorded in the client report (path_events, kind "auto"; failures as warnings).
// Loopback addresses count only when the server is on loopback.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "braid/connection.h"
#include "io/endpoint_driver.h"
#include "io/event_loop.h"
#include "io/interface_monitor.h"
#include "tools/braid/client_runner.h"

namespace braid::tool {

class AutoPaths {
 public:
  // Binds sockets for the addresses there now; `rep.start` must be set before events come.
  AutoPaths(io::EventLoop& loop, io::EndpointDriver& driver, const SocketAddress& remote, ClientReport& rep);
  ~AutoPaths();
  AutoPaths(const AutoPaths&) = delete;
  AutoPaths& operator=(const AutoPaths&) = delete;

  // The connection to open paths on (after connect; open_path queues until the handshake
  // and the peer's path IDs allow). nullptr: the connection is gone, changes are ignored.
  void attach(Connection* c);
  // A path this class opened ended without being asked (the peer abandoned it, it failed):
  // the address is free for a new path when it comes back.
  void on_path_closed(PathId id);
  bool following() const { return monitor_ != nullptr; }

 private:
  struct Entry {
    SocketAddress bound;             // the address add_socket returned
    std::string interface_name;
    std::optional<PathId> path;      // set once open_path accepted the request
  };
  void on_interface(const io::InterfaceEvent& e);
  bool wanted(const io::InterfaceEvent& e) const;
  void add_address(const SocketAddress& ip, const std::string& name);
  void remove_address(const SocketAddress& ip, const std::string& why);
  void open(Entry& e);
  void record(PathId path, const std::string& what, const Entry& e, std::optional<uint64_t> stream_bytes = {});
  void warn(std::string text);

  io::EndpointDriver& driver_;
  SocketAddress remote_;
  ClientReport& rep_;
  Connection* conn_ = nullptr;
  std::unique_ptr<io::InterfaceMonitor> monitor_;
  std::map<SocketAddress, Entry> by_ip_;  // key: the IP with port 0
};

}  // namespace braid::tool
