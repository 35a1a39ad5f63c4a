// The crypto layer fetches each OpenSSL algorithm once and hands out copies of shared,
// pre-configured MAC contexts. These tests check that the copies are independent of each
// other and that first use from several threads at once is safe.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "portunus/crypto/prf.h"
#include "portunus/crypto/protector.h"
#include "test_util.h"

namespace portunus::crypto {
namespace {

using test::pattern;

constexpr PrfId kPrfs[] = {PrfId::HmacSha1,     PrfId::HmacSha2_256, PrfId::HmacSha2_384,
                           PrfId::HmacSha2_512, PrfId::Aes128Xcbc,   PrfId::Aes128Cmac};

Bytes prf_out(Prf& prf, BytesView data) {
  Bytes out(prf.output_size());
  prf.compute(data, out);
  return out;
}

TEST(FetchCache, PrfCopiesDoNotShareKeys) {
  const Bytes data = pattern(100, 7);
  for (PrfId id : kPrfs) {
    SCOPED_TRACE(name(id));
    const Bytes k1 = pattern(prf_preferred_key_size(id), 1);
    const Bytes k2 = pattern(prf_preferred_key_size(id), 2);
    auto a = make_prf(id, k1);
    auto b = make_prf(id, k2);
    ASSERT_TRUE(a && b);
    const Bytes a_out = prf_out(**a, data);
    const Bytes b_out = prf_out(**b, data);
    EXPECT_NE(a_out, b_out);
    // Re-keying one must leave the other alone.
    (*b)->rekey(k1);
    EXPECT_EQ(prf_out(**b, data), a_out);
    EXPECT_EQ(prf_out(**a, data), a_out);
    (*a)->rekey(k2);
    EXPECT_EQ(prf_out(**a, data), b_out);
  }
}

TEST(FetchCache, ConcurrentUseGivesTheSameResults) {
  const Bytes data = pattern(64, 3);
  std::vector<Bytes> expected;
  for (PrfId id : kPrfs) {
    auto prf = make_prf(id, pattern(prf_preferred_key_size(id), 9));
    ASSERT_TRUE(prf);
    expected.push_back(prf_out(**prf, data));
  }
  const Bytes iv = pattern(8, 6);
  std::vector<Bytes> sealed(4);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < std::size(kPrfs); ++i) {
          auto prf = make_prf(kPrfs[i], pattern(prf_preferred_key_size(kPrfs[i]), 9));
          if (!prf || prf_out(**prf, data) != expected[i]) ++mismatches[t];
        }
        auto p = make_protector(EncrId::AesGcm16, 128, pattern(20, 4), IntegId::None, {});
        if (!p) {
          ++mismatches[t];
          continue;
        }
        Bytes text = pattern(32, 8);
        Bytes icv((*p)->icv_size());
        if (!(*p)->seal({}, iv, text, {}, icv)) ++mismatches[t];
        text.insert(text.end(), icv.begin(), icv.end());
        if (round == 0) sealed[t] = text;
        if (text != sealed[t]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < 4; ++t) {
    EXPECT_EQ(mismatches[t], 0) << "thread " << t;
    EXPECT_EQ(sealed[t], sealed[0]);
  }
}

}  // namespace
}  // namespace portunus::crypto
