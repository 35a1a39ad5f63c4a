// The published prf+ vectors (tests/vectors/ikev2-prfplus-sha2.json) run through the
// engine's own IKE SA key derivation: with seed = Ni | Nr | SPIi | SPIr, the SK_* the
// engine derives must be the leading octets of the published prf+ output.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "portunus/ike/keys.h"

namespace portunus::ike {
namespace {

// Just enough JSON for this flat file: the string or number after "field": in one case.
std::string field(const std::string& obj, const std::string& name) {
  const auto k = obj.find("\"" + name + "\"");
  if (k == std::string::npos) return {};
  auto v = obj.find(':', k) + 1;
  while (v < obj.size() && (obj[v] == ' ' || obj[v] == '"')) ++v;
  auto e = v;
  while (e < obj.size() && obj[e] != '"' && obj[e] != ',' && obj[e] != '\n' && obj[e] != '}') ++e;
  return obj.substr(v, e - v);
}

TEST(EngineKdf, PrfPlusVectorsThroughIkeSaKeyDerivation) {
  std::ifstream in(std::string(PORTUNUS_SOURCE_DIR) + "/tests/vectors/ikev2-prfplus-sha2.json");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  int checked = 0;
  for (size_t pos = text.find("\"kind\": \"prfplus\""); pos != std::string::npos;
       pos = text.find("\"kind\": \"prfplus\"", pos + 1)) {
    const auto end = text.find('}', pos);
    const std::string obj = text.substr(pos, end - pos);
    const auto key = hex_decode(field(obj, "key"));
    const auto seed = hex_decode(field(obj, "seed"));
    const auto out = hex_decode(field(obj, "output"));
    ASSERT_TRUE(key && seed && out);
    if (seed->size() < 16 + 2) continue;  // not of the Ni | Nr | SPIi | SPIr shape
    Algorithms alg;
    alg.prf = static_cast<crypto::PrfId>(std::stoi(field(obj, "prf_id")));
    alg.encr = crypto::EncrId::AesCbc;
    alg.encr_key_bits = 128;
    alg.integ = crypto::IntegId::HmacSha2_256_128;
    const size_t n = seed->size() - 16;
    const BytesView s(*seed);
    auto keys =
        derive_ike_sa_keys_from_skeyseed(alg, *key, s.subspan(0, n / 2), s.subspan(n / 2, n - n / 2),
                                         load_be64(seed->data() + n), load_be64(seed->data() + n + 8));
    ASSERT_TRUE(keys.has_value()) << keys.error().message;
    Bytes all;
    for (const SecureBytes* k :
         {&keys->sk_d, &keys->sk_ai, &keys->sk_ar, &keys->sk_ei, &keys->sk_er, &keys->sk_pi, &keys->sk_pr})
      all.insert(all.end(), k->data(), k->data() + k->size());
    const size_t cmp = std::min(all.size(), out->size());
    ASSERT_GT(cmp, 64u);
    EXPECT_EQ(hex_encode(BytesView(all).subspan(0, cmp)), hex_encode(BytesView(*out).subspan(0, cmp)))
        << field(obj, "name");
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
}  // namespace portunus::ike
