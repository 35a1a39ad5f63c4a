// Every published vector file (tests/vectors/*.json) through the runner's own code, so the
// test suite and `portunus-vectors` can never disagree.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "runner.h"

namespace portunus::vectors {
namespace {

std::vector<std::string> vector_files() {
  std::vector<std::string> files;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(PORTUNUS_SOURCE_DIR) + "/tests/vectors")) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  return files;
}

TEST(PublishedVectors, EveryFilePasses) {
  auto files = vector_files();
  ASSERT_FALSE(files.empty());
  size_t total = 0;
  for (const auto& f : files) {
    std::vector<std::string> failures;
    Summary s = run_file(f, [&](const std::string& line) { failures.push_back(line); });
    total += s.passed;
    EXPECT_EQ(s.failed, 0u) << f;
    for (const auto& line : failures) ADD_FAILURE() << line;
    EXPECT_GT(s.passed, 0u) << f;
  }
  EXPECT_GT(total, 100u);
}

// The runner must fail loudly, never pass silently: unknown kinds, unknown algorithm ids,
// wrong values and malformed cases are all failures.
TEST(PublishedVectors, RunnerRejectsWhatItCannotCheck) {
  auto run = [](const char* text) {
    std::vector<std::string> lines;
    Summary s = run_document(Json::parse(text), "test", [&](const std::string& l) { lines.push_back(l); });
    EXPECT_EQ(lines.size(), s.failed);
    return s;
  };
  const char* good =
      R"({"source":"x","cases":[{"kind":"prf","name":"n","prf_id":4,"key":"000102030405060708090a0b0c0d0e0f",)"
      R"("data":"000102","output":"5b376580ae2f19afe7219ceef172756f"}]})";
  EXPECT_EQ(run(good).passed, 1u);
  EXPECT_EQ(run(R"({"source":"x","cases":[{"kind":"nope","name":"n"}]})").failed, 1u);
  EXPECT_EQ(
      run(R"({"source":"x","cases":[{"kind":"prf","name":"n","prf_id":99,"key":"00","data":"","output":"00"}]})")
          .failed,
      1u);
  // One output bit wrong.
  const char* wrong =
      R"({"source":"x","cases":[{"kind":"prf","name":"n","prf_id":4,"key":"000102030405060708090a0b0c0d0e0f",)"
      R"("data":"000102","output":"5b376580ae2f19afe7219ceef172756e"}]})";
  EXPECT_EQ(run(wrong).failed, 1u);
  // Extra field, missing field, float where an integer belongs, empty file.
  EXPECT_EQ(
      run(R"({"source":"x","cases":[{"kind":"prf","name":"n","prf_id":4,"key":"00","data":"","output":"00","x":1}]})")
          .failed,
      1u);
  EXPECT_EQ(
      run(R"({"source":"x","cases":[{"kind":"prf","name":"n","prf_id":4,"key":"00","data":""}]})").failed,
      1u);
  EXPECT_EQ(
      run(R"({"source":"x","cases":[{"kind":"prf","name":"n","prf_id":4.0,"key":"00","data":"","output":"00"}]})")
          .failed,
      1u);
  EXPECT_EQ(run(R"({"source":"x","cases":[]})").failed, 1u);
}

TEST(PublishedVectors, SeqIsReadAsUint64) {
  Json c = Json::parse(R"({"seq": 18446744073709551615, "small": 4294967297})");
  EXPECT_EQ(uint_field(c, "seq"), 18446744073709551615ull);
  EXPECT_EQ(uint_field(c, "small"), 4294967297ull);
}

}  // namespace
}  // namespace portunus::vectors
