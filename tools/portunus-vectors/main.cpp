// portunus-vectors FILE...: runs published test vectors (tests/vectors/SCHEMA.md) through
// the implementation. Prints one line per failing case and "N passed, M failed"; the exit
// status is 0 only if every case of every file passed.
#include <cstdio>
#include <string>

#include "runner.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.json...\n", argv[0]);
    return 2;
  }
  portunus::vectors::Summary total;
  for (int i = 1; i < argc; ++i) {
    auto s = portunus::vectors::run_file(
        argv[i], [](const std::string& line) { std::printf("FAIL %s\n", line.c_str()); });
    total.passed += s.passed;
    total.failed += s.failed;
  }
  std::printf("%zu passed, %zu failed\n", total.passed, total.failed);
  return total.failed == 0 ? 0 : 1;
}
