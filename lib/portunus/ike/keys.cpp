#include "portunus/ike/keys.h"

#include "portunus/crypto/ike_kdf.h"
#include "portunus/ike/proposal_select.h"

namespace portunus::ike {

using crypto::TransformType;

Algorithms algorithms_of(const wire::Proposal& chosen) {
  Algorithms a;
  for (const auto& t : chosen.transforms) {
    switch (t.type) {
      case TransformType::Encr:
        a.encr = static_cast<crypto::EncrId>(t.id);
        a.encr_key_bits = t.key_bits;
        break;
      case TransformType::Prf:
        a.prf = static_cast<crypto::PrfId>(t.id);
        break;
      case TransformType::Integ:
        a.integ = static_cast<crypto::IntegId>(t.id);
        break;
      case TransformType::Ke:
        a.group = static_cast<crypto::KeGroup>(t.id);
        break;
      case TransformType::Esn:
        a.esn = t.id == static_cast<uint16_t>(crypto::EsnId::Esn);
        break;
    }
  }
  return a;
}

namespace {

Result<IkeSaKeys> split_ike_keys(const Algorithms& alg, BytesView skeyseed, BytesView ni, BytesView nr,
                                 uint64_t spi_i, uint64_t spi_r) {
  auto sizes = crypto::key_sizes(alg.encr, alg.encr_key_bits, alg.integ);
  if (!sizes) return Unexpected(sizes.error());
  auto secrets = crypto::derive_ike_sa_secrets(alg.prf, skeyseed, ni, nr, spi_i, spi_r, *sizes);
  if (!secrets) return Unexpected(secrets.error());
  IkeSaKeys k;
  k.alg = alg;
  k.sk_d = std::move(secrets->sk_d);
  k.sk_ai = std::move(secrets->sk_ai);
  k.sk_ar = std::move(secrets->sk_ar);
  k.sk_ei = std::move(secrets->sk_ei);
  k.sk_er = std::move(secrets->sk_er);
  k.sk_pi = std::move(secrets->sk_pi);
  k.sk_pr = std::move(secrets->sk_pr);
  // key_sizes() above already rejected transforms the protector cannot build.
  return k;
}

}  // namespace

std::unique_ptr<crypto::Protector> IkeSaKeys::protector(bool from_initiator, crypto::ProtectorUse use) const {
  auto p = crypto::make_protector(alg.encr, alg.encr_key_bits, from_initiator ? sk_ei : sk_er, alg.integ,
                                  from_initiator ? sk_ai : sk_ar, use);
  if (!p) return nullptr;
  return std::move(*p);
}

Result<IkeSaKeys> derive_ike_sa_keys_from_skeyseed(const Algorithms& alg, BytesView skeyseed, BytesView ni,
                                                   BytesView nr, uint64_t spi_i, uint64_t spi_r) {
  return split_ike_keys(alg, skeyseed, ni, nr, spi_i, spi_r);
}

Result<IkeSaKeys> derive_ike_sa_keys(const Algorithms& alg, BytesView g_ir, BytesView ni, BytesView nr,
                                     uint64_t spi_i, uint64_t spi_r) {
  auto skeyseed = crypto::compute_skeyseed(alg.prf, ni, nr, g_ir);
  if (!skeyseed) return Unexpected(skeyseed.error());
  return split_ike_keys(alg, *skeyseed, ni, nr, spi_i, spi_r);
}

Result<IkeSaKeys> derive_rekeyed_ike_sa_keys(const Algorithms& alg, crypto::PrfId old_prf, BytesView old_sk_d,
                                             BytesView g_ir_new, BytesView ni, BytesView nr, uint64_t spi_i,
                                             uint64_t spi_r) {
  auto skeyseed = crypto::compute_rekeyed_skeyseed(old_prf, old_sk_d, g_ir_new, ni, nr);
  if (!skeyseed) return Unexpected(skeyseed.error());
  return split_ike_keys(alg, *skeyseed, ni, nr, spi_i, spi_r);
}

Result<ChildKeys> derive_child_keys(crypto::PrfId prf, BytesView sk_d, BytesView g_ir_new, BytesView ni,
                                    BytesView nr, const Algorithms& esp) {
  auto sizes = crypto::key_sizes(esp.encr, esp.encr_key_bits, esp.integ);
  if (!sizes) return Unexpected(sizes.error());
  auto keys = crypto::derive_child_sa_keys(prf, sk_d, g_ir_new, ni, nr, *sizes);
  if (!keys) return Unexpected(keys.error());
  ChildKeys k;
  k.i_to_r.encr = std::move(keys->encr_i);
  k.i_to_r.integ = std::move(keys->integ_i);
  k.r_to_i.encr = std::move(keys->encr_r);
  k.r_to_i.integ = std::move(keys->integ_r);
  return k;
}

}  // namespace portunus::ike
