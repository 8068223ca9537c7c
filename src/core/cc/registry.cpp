// Congestion-controller registry: a name -> factory map created on first use, so that
// registrations from other translation units never race static initialisation.
#include <map>
#include <string>

#include "braid/congestion_controller.h"
#include "core/cc/bbr/bbr.h"
#include "core/cc/coupled/balia.h"
#include "core/cc/coupled/lia.h"
#include "core/cc/coupled/olia.h"
#include "core/cc/cubic.h"
#include "core/cc/new_reno.h"

namespace braid {

namespace {
template <class T>
CongestionControllerFactory factory_of() {
  return [](const CcContext& c) -> std::unique_ptr<CongestionController> { return std::make_unique<T>(c); };
}

std::map<std::string, CongestionControllerFactory, std::less<>>& registry() {
  static std::map<std::string, CongestionControllerFactory, std::less<>> factories = {
      {"reno", factory_of<cc::NewReno>()},
      {"cubic", factory_of<cc::Cubic>()},
      {"bbr", factory_of<cc::Bbr>()},
      {"lia", factory_of<cc::Lia>()},
      {"olia", factory_of<cc::Olia>()},
      {"balia", factory_of<cc::Balia>()},
  };
  return factories;
}
}  // namespace

std::unique_ptr<CongestionController> make_congestion_controller(std::string_view name, const CcContext& ctx) {
  auto& r = registry();
  auto it = r.find(name);
  if (it == r.end() || !it->second) return nullptr;
  if (ctx.group) return it->second(ctx);
  CcContext own = ctx;  // a controller alone: a group of its own
  own.group = std::make_shared<CoupledGroup>();
  return it->second(own);
}

void register_congestion_controller(std::string name, CongestionControllerFactory factory) {
  registry().insert_or_assign(std::move(name), std::move(factory));
}

std::vector<std::string> congestion_controller_names() {
  std::vector<std::string> names;
  for (const auto& [name, f] : registry()) names.push_back(name);
  return names;
}

}  // namespace braid
