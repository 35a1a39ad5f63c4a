// The fuzzer's seed corpus (fuzz/corpus/ike_message/) is generated from the sample messages.
// Normally this test checks that the checked-in seeds still match the generator and decode;
// with PORTUNUS_WRITE_IKE_CORPUS=1 in the environment it (re)writes them instead.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "ike_samples.h"
#include "portunus/wire/ike_message.h"

namespace portunus::wire {
namespace {

using namespace testing;
namespace fs = std::filesystem;

Message with_inner(const IkeHeader& h, const std::vector<Payload>& inner) {
  Message m;
  m.header = h;
  // A "NULL cipher" SK: the body is the plaintext chain, so the fuzzer starts from inner
  // chains that decode and mutates them from there.
  m.payloads.push_back(EncryptedPayload{payload_type(inner.front()), *encode_payloads(inner)});
  return m;
}

std::map<std::string, Bytes> seeds() {
  std::map<std::string, Bytes> out;
  const char* names[] = {"sa_init_request", "sa_init_response", "cookie_response",  "auth_request",
                         "fragment_1_of_3", "fragment_3_of_3",  "unknown_payloads", "unusual_sa"};
  auto samples = sample_messages();
  for (size_t i = 0; i < samples.size(); ++i) out[names[i]] = *encode_message(samples[i]);
  out["auth_inner"] =
      *encode_message(with_inner(header(ExchangeType::IkeAuth, 1, true, false), auth_request_inner()));
  out["eap_inner"] = *encode_message(with_inner(header(ExchangeType::IkeAuth, 2, false, true), eap_inner()));
  out["informational_inner"] =
      *encode_message(with_inner(header(ExchangeType::Informational, 4, true, false), informational_inner()));
  return out;
}

TEST(IkeCorpus, SeedsMatchGeneratorAndDecode) {
  const fs::path dir = fs::path(PORTUNUS_SOURCE_DIR) / "fuzz" / "corpus" / "ike_message";
  const bool write = std::getenv("PORTUNUS_WRITE_IKE_CORPUS") != nullptr;
  if (write) fs::create_directories(dir);
  for (const auto& [name, bytes] : seeds()) {
    const fs::path file = dir / (name + ".bin");
    if (write) {
      std::ofstream(file, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    std::ifstream in(file, std::ios::binary);
    ASSERT_TRUE(in.good()) << file << " missing; run with PORTUNUS_WRITE_IKE_CORPUS=1";
    Bytes stored{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_EQ(stored, bytes) << file << " is stale; run with PORTUNUS_WRITE_IKE_CORPUS=1";
    auto decoded = decode_message(stored);
    ASSERT_TRUE(decoded.has_value()) << file << ": " << describe(decoded.error());
    if (const auto* sk = decoded->find<EncryptedPayload>(); sk && name.ends_with("_inner")) {
      auto chain = decode_payloads(sk->first_inner, sk->body);
      EXPECT_TRUE(chain.has_value()) << file << ": " << describe(chain.error());
    }
  }
}

}  // namespace
}  // namespace portunus::wire
