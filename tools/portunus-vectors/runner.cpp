#include "runner.h"

#include <fstream>
#include <sstream>

namespace portunus::vectors {

std::span<const KindEntry> kinds() {
  static const KindEntry kTable[] = {
      {"prf", check_prf}, {"integ", check_integ}, {"prfplus", check_prfplus},     {"ike-kdf", check_ike_kdf},
      {"ke", check_ke},   {"encr", check_encr},   {"signature", check_signature}, {"esp", check_esp},
  };
  return kTable;
}

namespace {

std::string case_name(const Json& c) {
  if (c.is_object() && c.contains("name") && c["name"].is_string()) return c["name"].get<std::string>();
  return "(unnamed case)";
}

// Runs one case; returns the failure reason, or empty on success.
std::string run_case(const Json& c) {
  if (!c.is_object()) return "case is not an object";
  if (!c.contains("kind") || !c["kind"].is_string()) return "case has no kind";
  if (!c.contains("name") || !c["name"].is_string()) return "case has no name";
  const std::string kind = c["kind"].get<std::string>();
  for (const KindEntry& k : kinds()) {
    if (k.kind != kind) continue;
    try {
      k.check(c);
      return {};
    } catch (const CaseError& e) {
      return e.what();
    } catch (const nlohmann::json::exception& e) {
      return std::string("malformed case: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("internal error: ") + e.what();
    }
  }
  return "kind '" + kind + "' not supported";
}

}  // namespace

Summary run_document(const Json& doc, std::string_view label,
                     const std::function<void(const std::string&)>& report) {
  Summary s;
  if (!doc.is_object() || !doc.contains("source") || !doc.contains("cases") || !doc["cases"].is_array() ||
      doc["cases"].empty()) {
    report(std::string(label) + ": not a vector file (needs 'source' and a non-empty 'cases' array)");
    s.failed = 1;
    return s;
  }
  for (const Json& c : doc["cases"]) {
    std::string reason = run_case(c);
    if (reason.empty()) {
      ++s.passed;
    } else {
      ++s.failed;
      report(std::string(label) + ": " + case_name(c) + ": " + reason);
    }
  }
  return s;
}

Summary run_file(const std::string& path, const std::function<void(const std::string&)>& report) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    report(path + ": cannot open");
    return Summary{0, 1};
  }
  std::stringstream buf;
  buf << in.rdbuf();
  // Parse without exceptions: a syntax error gives a discarded value.
  Json doc = Json::parse(buf.str(), nullptr, false);
  if (doc.is_discarded()) {
    report(path + ": not valid JSON");
    return Summary{0, 1};
  }
  return run_document(doc, path, report);
}

}  // namespace portunus::vectors
