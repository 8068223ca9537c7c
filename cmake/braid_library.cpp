// libbraid.so is linked from the braid archives (whole); this file only gives the shared
// library target a source of its own, and the library a version string callers can check.
extern "C" __attribute__((visibility("default"))) const char* braid_library_version() { return BRAID_VERSION; }
