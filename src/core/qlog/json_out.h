// Minimal append-only JSON writer for qlog records: writes straight into a reused std::string
// so per-packet events cost no DOM allocations. Strings are escaped and made valid UTF-8.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace braid::qlog {

// Appends `text` as a quoted JSON string; invalid UTF-8 sequences become U+FFFD.
void append_json_string(std::string& out, std::string_view text);
// Appends bytes as a quoted lowercase hex string (qlog "hexstring").
void append_hex_string(std::string& out, std::span<const uint8_t> bytes);
// Appends a number in the shortest form that round-trips.
void append_number(std::string& out, uint64_t v);
void append_number(std::string& out, double v);
bool is_valid_utf8(std::span<const uint8_t> bytes);

// One JSON object being written; the closing brace is written when it goes out of scope,
// so nesting follows C++ scopes. Keys are trusted literals (lowercase ASCII), not escaped.
class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_ += '{'; }
  JsonObject(const JsonObject&) = delete;
  JsonObject& operator=(const JsonObject&) = delete;
  ~JsonObject() { out_ += '}'; }

  JsonObject& num(std::string_view k, uint64_t v) { key(k); append_number(out_, v); return *this; }
  JsonObject& real(std::string_view k, double v) { key(k); append_number(out_, v); return *this; }
  JsonObject& str(std::string_view k, std::string_view v) { key(k); append_json_string(out_, v); return *this; }
  JsonObject& boolean(std::string_view k, bool v) { key(k); out_ += v ? "true" : "false"; return *this; }
  JsonObject& hex(std::string_view k, std::span<const uint8_t> v) { key(k); append_hex_string(out_, v); return *this; }
  // Pre-serialized JSON value (must be valid JSON).
  JsonObject& raw(std::string_view k, std::string_view json) { key(k); out_ += json; return *this; }
  // Writes `"k":` and returns the buffer, for a nested JsonObject or an array.
  std::string& child(std::string_view k) { key(k); return out_; }
  std::string& buffer() { return out_; }

 private:
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace braid::qlog
