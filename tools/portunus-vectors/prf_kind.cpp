// Kind "prf": output = prf(key, data) with the PRF's key rule.
#include "portunus/crypto/prf.h"
#include "runner.h"

namespace portunus::vectors {

void check_prf(const Json& c) {
  check_fields(c, {"prf_id", "key", "data", "output"});
  const auto id = static_cast<crypto::PrfId>(uint_field(c, "prf_id"));
  const Bytes key = hex_field(c, "key"), data = hex_field(c, "data"), output = hex_field(c, "output");
  auto prf = crypto::make_prf(id, key);
  if (!prf) throw CaseError(prf.error().message);
  Bytes got((*prf)->output_size());
  (*prf)->compute(data, got);
  expect_equal("output", got, output);
}

}  // namespace portunus::vectors
