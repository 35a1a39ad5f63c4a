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

// No ike-kdf file is published in tests/vectors yet, so the kind is exercised here on the
// first HMAC-SHA1 example of the NIST CAVP SP 800-135 IKEv2 KDF tests (as printed with
// libreswan's CAVS tool): Ni, Nr and the SPIs are 8 octets, DKM lengths 132 octets.
TEST(PublishedVectors, IkeKdfKindOnCavpExample) {
  Json doc = Json::parse(R"({"source": "NIST CAVP SP 800-135 IKEv2, SHA-1", "cases": [{
    "kind": "ike-kdf", "name": "CAVP IKEv2 SHA-1 example", "prf_id": 2,
    "ni": "32b50d5f4a3763f3", "nr": "9206a04b26564cb1",
    "g_ir": "4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52",
    "g_ir_new": "863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330",
    "spi_i": "34c9e7c188868785", "spi_r": "3ff77d760d2b2199",
    "skeyseed": "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7",
    "dkm": "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e992204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd11198af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4",
    "sk_d": "a14293677cc80ff8f9cc0eee30d895da9d8f4056",
    "keymat_child": "8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c5811a8e7b5d1cdabd9560b2d5e092d1f24e2d4b85eccdf0ad0dc9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe20754a2d883ba0c2cf285f524aea6545b33106bc03e614296d319d41d4b50b3f510b1c0a22f3e664994d234cb4",
    "keymat_child_pfs": "bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d37301628190e38c66232eab4b3ab14c400a5197dd3730ed4820a8a10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b5666023a8bbb5ffb7857240f9a05884d1b7d2f933708450b7b3288f1fc863ab49fa901227cffc06e27899c7054d56fd74c",
    "skeyseed_rekey": "63e81194946ebd05df7df5ebf5d8750056bf1f1d"}]})");
  std::vector<std::string> lines;
  Summary s = run_document(doc, "cavp", [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(s.passed, 1u);
  for (const auto& l : lines) ADD_FAILURE() << l;

  // A wrong rekey value must be caught.
  doc["cases"][0]["skeyseed_rekey"] = "63e81194946ebd05df7df5ebf5d8750056bf1f1e";
  EXPECT_EQ(run_document(doc, "cavp", [](const std::string&) {}).failed, 1u);
}

}  // namespace
}  // namespace portunus::vectors
