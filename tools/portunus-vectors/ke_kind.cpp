// Kind "ke": public value from the private one, shared secret from the peer's value. The
// implementation's peer validation (on-curve, range, subgroup) runs inside derive().
#include "portunus/crypto/key_exchange.h"
#include "runner.h"

namespace portunus::vectors {

void check_ke(const Json& c) {
  check_fields(c, {"group", "private", "public", "peer_public", "shared"});
  const auto group = static_cast<crypto::KeGroup>(uint_field(c, "group"));
  if (!crypto::ke_group_supported(group))
    throw CaseError("group " + std::to_string(int(group)) + " not supported");
  auto ke = crypto::make_key_exchange_from_private(group, hex_field(c, "private"));
  if (!ke) throw CaseError(ke.error().message);
  expect_equal("public", (*ke)->public_value(), hex_field(c, "public"));
  auto shared = (*ke)->derive(hex_field(c, "peer_public"));
  if (!shared) throw CaseError(shared.error().message);
  expect_equal("shared", shared->view(), hex_field(c, "shared"));
}

}  // namespace portunus::vectors
