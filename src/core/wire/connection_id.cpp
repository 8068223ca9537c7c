// ConnectionId formatting.
#include <fmt/format.h>

#include "braid/types.h"

namespace braid {

std::string ConnectionId::hex() const {
  std::string s;
  s.reserve(len_ * 2);
  for (size_t i = 0; i < len_; ++i) s += fmt::format("{:02x}", bytes_[i]);
  return s;
}

}  // namespace braid
