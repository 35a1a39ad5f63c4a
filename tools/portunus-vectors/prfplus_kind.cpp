// Kind "prfplus": the first len(output) octets of prf+(key, seed) (RFC 7296 2.13).
#include "portunus/crypto/prf.h"
#include "runner.h"

namespace portunus::vectors {

void check_prfplus(const Json& c) {
  check_fields(c, {"prf_id", "key", "seed", "output"});
  const auto id = static_cast<crypto::PrfId>(uint_field(c, "prf_id"));
  const Bytes key = hex_field(c, "key"), seed = hex_field(c, "seed"), output = hex_field(c, "output");
  auto got = crypto::prf_plus(id, key, seed, output.size());
  if (!got) throw CaseError(got.error().message);
  expect_equal("output", got->view(), output);
}

}  // namespace portunus::vectors
