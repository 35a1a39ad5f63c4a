// Kind "integ": icv = the transform's truncated MAC; also runs verify() both ways.
#include "portunus/crypto/integrity.h"
#include "runner.h"

namespace portunus::vectors {

void check_integ(const Json& c) {
  check_fields(c, {"integ_id", "key", "data", "icv"});
  const auto id = static_cast<crypto::IntegId>(uint_field(c, "integ_id"));
  const Bytes key = hex_field(c, "key"), data = hex_field(c, "data"), icv = hex_field(c, "icv");
  auto mac = crypto::make_integrity(id, key);
  if (!mac) throw CaseError(mac.error().message);
  Bytes got((*mac)->icv_size());
  if (!(*mac)->compute({BytesView(data)}, got)) throw CaseError("compute failed");
  expect_equal("icv", got, icv);
  if (!(*mac)->verify({BytesView(data)}, icv)) throw CaseError("verify rejected the published ICV");
  Bytes wrong = icv;
  wrong.back() ^= 1;
  if ((*mac)->verify({BytesView(data)}, wrong)) throw CaseError("verify accepted a modified ICV");
}

}  // namespace portunus::vectors
