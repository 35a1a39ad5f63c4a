#pragma once
// The vector runner: a dispatch table from SCHEMA.md case kinds to their checks (one
// *_kind.cpp file per kind), and the loop over a file's cases.
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "fields.h"

namespace portunus::vectors {

// Runs one case through the implementation; throws CaseError with the reason on failure.
using KindCheck = void (*)(const Json& c);

struct KindEntry {
  std::string_view kind;
  KindCheck check;
};

// Every kind this build understands.
std::span<const KindEntry> kinds();

// One per *_kind.cpp.
void check_prf(const Json& c);
void check_integ(const Json& c);
void check_prfplus(const Json& c);
void check_ike_kdf(const Json& c);
void check_ke(const Json& c);
void check_encr(const Json& c);
void check_signature(const Json& c);
void check_esp(const Json& c);

struct Summary {
  size_t passed = 0;
  size_t failed = 0;
};

// Runs every case of one parsed file; `report` gets one line per failing case
// ("<label>: <case name>: <reason>"). A file that does not follow SCHEMA.md's outline
// counts as one failure.
Summary run_document(const Json& doc, std::string_view label,
                     const std::function<void(const std::string&)>& report);

// Reads and runs a file.
Summary run_file(const std::string& path, const std::function<void(const std::string&)>& report);

}  // namespace portunus::vectors
