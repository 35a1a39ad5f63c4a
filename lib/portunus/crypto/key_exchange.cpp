#include "portunus/crypto/key_exchange.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include <string>
#include <string_view>

#include "portunus/crypto/ossl.h"

namespace portunus::crypto {
namespace {

using namespace detail;

std::string group_label(KeGroup g) { return std::string(name(g)) + " (" + std::to_string(int(g)) + ")"; }

bool is_legacy_group(KeGroup g) { return g == KeGroup::Modp768 || g == KeGroup::Modp1024; }

// ---------------------------------------------------------------------------------------
// ECP groups (RFC 5903, RFC 5114 groups 25/26, RFC 6954 brainpool): KE data is x | y.

int ecp_nid(KeGroup g) {
  switch (g) {
    case KeGroup::Ecp256:
      return NID_X9_62_prime256v1;
    case KeGroup::Ecp384:
      return NID_secp384r1;
    case KeGroup::Ecp521:
      return NID_secp521r1;
    case KeGroup::Ecp192:
      return NID_X9_62_prime192v1;
    case KeGroup::Ecp224:
      return NID_secp224r1;
    case KeGroup::Brainpool224:
      return NID_brainpoolP224r1;
    case KeGroup::Brainpool256:
      return NID_brainpoolP256r1;
    case KeGroup::Brainpool384:
      return NID_brainpoolP384r1;
    case KeGroup::Brainpool512:
      return NID_brainpoolP512r1;
    default:
      return NID_undef;
  }
}

size_t ecp_coordinate_size(KeGroup g) {
  switch (g) {
    case KeGroup::Ecp192:
      return 24;
    case KeGroup::Ecp224:
    case KeGroup::Brainpool224:
      return 28;
    case KeGroup::Ecp256:
    case KeGroup::Brainpool256:
      return 32;
    case KeGroup::Ecp384:
    case KeGroup::Brainpool384:
      return 48;
    case KeGroup::Brainpool512:
      return 64;
    case KeGroup::Ecp521:
      return 66;
    default:
      return 0;
  }
}

// Builds an EVP_PKEY on the group from an uncompressed point (and optionally the private
// scalar). EVP_PKEY_fromdata checks that the point decodes; callers check the rest.
PkeyPtr ec_pkey_from(int nid, BytesView uncompressed, const BIGNUM* priv) {
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      OSSL_PARAM_BLD_free);
  if (!bld) return nullptr;
  const char* group_name = OBJ_nid2sn(nid);
  if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, uncompressed.data(),
                                       uncompressed.size()) != 1 ||
      (priv && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                 OSSL_PARAM_free);
  EVP_PKEY_CTX* ctx = fromdata_context("EC");
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx ||
      EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(pkey);
}

// An X25519 / X448 key from its raw private value (the public value is computed) or raw
// public value, built without a by-name lookup of the key management (see ossl.h).
PkeyPtr ecx_pkey_from(const char* type, const char* param, BytesView raw) {
  EVP_PKEY_CTX* ctx = fromdata_context(type);
  if (!ctx) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(param, const_cast<uint8_t*>(raw.data()), raw.size()),
      OSSL_PARAM_construct_end(),
  };
  const bool priv = std::string_view(param) == OSSL_PKEY_PARAM_PRIV_KEY;
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
    return nullptr;
  return PkeyPtr(pkey);
}

// The callers validate the peer's value themselves (RFC 6989 / RFC 8031 checks), so
// OpenSSL's own peer validation is skipped: for EC keys it is the full public-key check,
// which repeats the range and curve checks and adds an n*Q scalar multiplication that
// cofactor-1 curves do not need, on a fresh context fetched by name.
Result<SecureBytes> evp_derive(EVP_PKEY* own, EVP_PKEY* peer, size_t expected_len) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 0) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1 || len != expected_len) {
    return make_error("key derivation failed: " + last_openssl_error());
  }
  SecureBytes shared(len);
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != expected_len) {
    return make_error("key derivation failed: " + last_openssl_error());
  }
  return shared;
}

class EcpKeyExchange final : public KeyExchange {
 public:
  EcpKeyExchange(KeGroup g, int nid, size_t l) : group_(g), nid_(nid), l_(l) {}

  // d must already be in [1, n-1]; grp is the group of nid.
  Result<void> init(const BIGNUM* d, const EC_GROUP* grp) {
    BnCtxPtr bn_ctx(BN_CTX_new());
    EcPointPtr q(EC_POINT_new(grp));
    if (!bn_ctx || !q || EC_POINT_mul(grp, q.get(), d, nullptr, nullptr, bn_ctx.get()) != 1) {
      return make_error("cannot compute the " + group_label(group_) +
                        " public value: " + last_openssl_error());
    }
    Bytes uncompressed(1 + 2 * l_);
    if (EC_POINT_point2oct(grp, q.get(), POINT_CONVERSION_UNCOMPRESSED, uncompressed.data(),
                           uncompressed.size(), bn_ctx.get()) != uncompressed.size()) {
      return make_error("cannot encode the " + group_label(group_) + " public value");
    }
    key_ = ec_pkey_from(nid_, uncompressed, d);
    if (!key_) return make_error("cannot build the " + group_label(group_) + " key: " + last_openssl_error());
    // RFC 5903 section 7: the KE data is x | y without the 0x04 point-format octet.
    public_.assign(uncompressed.begin() + 1, uncompressed.end());
    return {};
  }

  KeGroup group() const override { return group_; }
  const Bytes& public_value() const override { return public_; }

  Result<SecureBytes> derive(BytesView peer) override {
    if (peer.size() != 2 * l_) {
      return make_error(group_label(group_) + " public value must be " + std::to_string(2 * l_) +
                        " octets, got " + std::to_string(peer.size()));
    }
    // 0x04 | x | y; the largest group (P-521) has 66-octet coordinates.
    uint8_t uncompressed[1 + 2 * 66];
    uncompressed[0] = POINT_CONVERSION_UNCOMPRESSED;
    std::copy(peer.begin(), peer.end(), uncompressed + 1);
    PkeyPtr peer_key = ec_pkey_from(nid_, BytesView(uncompressed, 1 + peer.size()), nullptr);
    if (!peer_key) {
      last_openssl_error();
      return make_error(group_label(group_) + " public value is not a point on the curve");
    }
    // Public-key validation (RFC 6989 section 2.3, SP 800-56A 5.6.2.3.4): coordinates in
    // range, on the curve, not the point at infinity. The order check of the full test is
    // left out on purpose: every group here has cofactor 1, so a point on the curve other
    // than infinity already has order n, and n*Q would cost a second scalar multiplication.
    PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, peer_key.get(), nullptr));
    if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
      last_openssl_error();
      return make_error(group_label(group_) + " public value failed validation (RFC 6989)");
    }
    // The ECDH output is the x coordinate padded to the field size: RFC 5903 section 7.
    return evp_derive(key_.get(), peer_key.get(), l_);
  }

 private:
  KeGroup group_;
  int nid_;
  size_t l_;
  PkeyPtr key_;
  Bytes public_;
};

Result<std::unique_ptr<KeyExchange>> make_ecp(KeGroup g, Random* rng, BytesView fixed) {
  const int nid = ecp_nid(g);
  const size_t l = ecp_coordinate_size(g);
  EcGroupPtr grp(EC_GROUP_new_by_curve_name(nid));
  if (!grp) return make_error("OpenSSL does not support " + group_label(g));
  const BIGNUM* order = EC_GROUP_get0_order(grp.get());
  const int order_bits = BN_num_bits(order);
  const size_t order_bytes = static_cast<size_t>((order_bits + 7) / 8);
  BnPtr d(BN_secure_new());
  if (!d) return make_error("out of memory");
  if (rng) {
    // Rejection sampling of d in [1, n-1], masked to the order's bit length so that a
    // draw is accepted at least half the time.
    SecureBytes buf(order_bytes);
    for (int attempt = 0;; ++attempt) {
      if (attempt == 1000) return make_error("random source keeps producing out-of-range scalars");
      rng->fill(buf.span());
      if (order_bits % 8) buf.data()[0] &= static_cast<uint8_t>(0xff >> (8 - order_bits % 8));
      if (!BN_bin2bn(buf.data(), static_cast<int>(buf.size()), d.get())) return make_error("out of memory");
      if (!BN_is_zero(d.get()) && BN_cmp(d.get(), order) < 0) break;
    }
  } else {
    if (fixed.empty() || fixed.size() > l) {
      return make_error(group_label(g) + " private value must be 1 to " + std::to_string(l) + " octets");
    }
    if (!BN_bin2bn(fixed.data(), static_cast<int>(fixed.size()), d.get())) return make_error("out of memory");
    if (BN_is_zero(d.get()) || BN_cmp(d.get(), order) >= 0) {
      return make_error(group_label(g) + " private value is not in [1, n-1]");
    }
  }
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  auto ke = std::make_unique<EcpKeyExchange>(g, nid, l);
  auto ok = ke->init(d.get(), grp.get());
  if (!ok) return Unexpected(ok.error());
  return std::unique_ptr<KeyExchange>(std::move(ke));
}

// ---------------------------------------------------------------------------------------
// Curve25519 / Curve448 (RFC 8031): raw little-endian u-coordinates.

class EcxKeyExchange final : public KeyExchange {
 public:
  EcxKeyExchange(KeGroup g, const char* type, size_t len) : group_(g), type_(type), len_(len) {}

  Result<void> init(BytesView priv) {
    key_ = ecx_pkey_from(type_, OSSL_PKEY_PARAM_PRIV_KEY, priv);
    public_.resize(len_);
    size_t out_len = len_;
    if (!key_ || EVP_PKEY_get_raw_public_key(key_.get(), public_.data(), &out_len) != 1 || out_len != len_) {
      return make_error("cannot build the " + group_label(group_) + " key: " + last_openssl_error());
    }
    return {};
  }

  KeGroup group() const override { return group_; }
  const Bytes& public_value() const override { return public_; }

  Result<SecureBytes> derive(BytesView peer) override {
    if (peer.size() != len_) {
      return make_error(group_label(group_) + " public value must be " + std::to_string(len_) +
                        " octets, got " + std::to_string(peer.size()));
    }
    PkeyPtr peer_key = ecx_pkey_from(type_, OSSL_PKEY_PARAM_PUB_KEY, peer);
    if (!peer_key) return make_error("cannot load the " + group_label(group_) + " public value");
    auto shared = evp_derive(key_.get(), peer_key.get(), len_);
    if (!shared) {
      // OpenSSL refuses an all-zero result itself (a small-order peer point).
      return make_error(group_label(group_) + " public value gives an all-zero shared secret (RFC 8031 2.3)");
    }
    // RFC 8031 section 2.3 / RFC 7748 section 6: reject the all-zero output, checked
    // here too in constant time so that it does not depend on the OpenSSL version.
    uint8_t acc = 0;
    for (size_t i = 0; i < shared->size(); ++i) acc |= shared->data()[i];
    if (acc == 0) return make_error(group_label(group_) + " shared secret is all zero (RFC 8031 2.3)");
    return shared;
  }

 private:
  KeGroup group_;
  const char* type_;  // "X25519" / "X448"
  size_t len_;
  PkeyPtr key_;
  Bytes public_;
};

Result<std::unique_ptr<KeyExchange>> make_ecx(KeGroup g, Random* rng, BytesView fixed) {
  const bool x25519 = g == KeGroup::Curve25519;
  const size_t len = x25519 ? 32 : 56;
  SecureBytes priv(len);
  if (rng) {
    rng->fill(priv.span());  // clamping is part of the X25519 / X448 function
  } else {
    if (fixed.size() != len) {
      return make_error(group_label(g) + " private value must be " + std::to_string(len) + " octets");
    }
    std::copy(fixed.begin(), fixed.end(), priv.data());
  }
  auto ke = std::make_unique<EcxKeyExchange>(g, x25519 ? "X25519" : "X448", len);
  auto ok = ke->init(priv);
  if (!ok) return Unexpected(ok.error());
  return std::unique_ptr<KeyExchange>(std::move(ke));
}

// ---------------------------------------------------------------------------------------
// MODP groups (RFC 2409, RFC 3526, RFC 5114): KE data is g^x mod p padded to len(p).

struct ModpParams {
  BnPtr p;
  BnPtr g;
  BnPtr q;  // only for the RFC 5114 prime-order-subgroup groups
  size_t exponent_bytes = 0;
};

// The primes come from OpenSSL's built-in copies of the RFCs' values rather than
// being retyped here.
const char* modp_named_group(KeGroup g) {
  switch (g) {
    case KeGroup::Modp1536:
      return "modp_1536";
    case KeGroup::Modp2048:
      return "modp_2048";
    case KeGroup::Modp3072:
      return "modp_3072";
    case KeGroup::Modp4096:
      return "modp_4096";
    case KeGroup::Modp6144:
      return "modp_6144";
    case KeGroup::Modp8192:
      return "modp_8192";
    case KeGroup::Modp1024s160:
      return "dh_1024_160";
    case KeGroup::Modp2048s224:
      return "dh_2048_224";
    case KeGroup::Modp2048s256:
      return "dh_2048_256";
    default:
      return nullptr;
  }
}

bool is_modp(KeGroup g) { return is_legacy_group(g) || modp_named_group(g) != nullptr; }
bool has_subgroup(KeGroup g) {
  return g == KeGroup::Modp1024s160 || g == KeGroup::Modp2048s224 || g == KeGroup::Modp2048s256;
}

size_t modp_prime_size(KeGroup g) {
  switch (g) {
    case KeGroup::Modp768:
      return 96;
    case KeGroup::Modp1024:
    case KeGroup::Modp1024s160:
      return 128;
    case KeGroup::Modp1536:
      return 192;
    case KeGroup::Modp2048:
    case KeGroup::Modp2048s224:
    case KeGroup::Modp2048s256:
      return 256;
    case KeGroup::Modp3072:
      return 384;
    case KeGroup::Modp4096:
      return 512;
    case KeGroup::Modp6144:
      return 768;
    case KeGroup::Modp8192:
      return 1024;
    default:
      return 0;
  }
}

// Exponent length for the safe-prime groups: at least twice the group's security
// strength (RFC 3526 section 8, NIST SP 800-57), rounded up to whole octets.
size_t modp_exponent_size(KeGroup g) {
  switch (g) {
    case KeGroup::Modp768:
    case KeGroup::Modp1024:
    case KeGroup::Modp1536:
    case KeGroup::Modp2048:
      return 32;
    case KeGroup::Modp3072:
      return 48;
    case KeGroup::Modp4096:
      return 64;
    case KeGroup::Modp6144:
    case KeGroup::Modp8192:
      return 80;
    default:
      return 0;
  }
}

Result<ModpParams> modp_params(KeGroup g) {
  ModpParams params;
  if (g == KeGroup::Modp768 || g == KeGroup::Modp1024) {
    params.p.reset(g == KeGroup::Modp768 ? BN_get_rfc2409_prime_768(nullptr)
                                         : BN_get_rfc2409_prime_1024(nullptr));
    params.g.reset(BN_new());
    if (!params.p || !params.g || BN_set_word(params.g.get(), 2) != 1) return make_error("out of memory");
  } else {
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, modp_named_group(g), 0) != 1) {
      return make_error("out of memory");
    }
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> ossl_params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                        OSSL_PARAM_free);
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ossl_params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEY_PARAMETERS, ossl_params.get()) != 1) {
      return make_error("OpenSSL does not know " + group_label(g) + ": " + last_openssl_error());
    }
    PkeyPtr pkey(raw);
    BIGNUM* p = nullptr;
    BIGNUM* gen = nullptr;
    BIGNUM* q = nullptr;
    if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
        EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_G, &gen) != 1) {
      BN_free(p);
      return make_error("cannot read the " + group_label(g) + " parameters");
    }
    params.p.reset(p);
    params.g.reset(gen);
    if (has_subgroup(g)) {
      if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_Q, &q) != 1) {
        return make_error("cannot read the " + group_label(g) + " subgroup order");
      }
      params.q.reset(q);
    }
  }
  if (static_cast<size_t>(BN_num_bytes(params.p.get())) != modp_prime_size(g)) {
    return make_error("unexpected prime size for " + group_label(g));
  }
  params.exponent_bytes =
      params.q ? static_cast<size_t>(BN_num_bytes(params.q.get())) : modp_exponent_size(g);
  return params;
}

class ModpKeyExchange final : public KeyExchange {
 public:
  ModpKeyExchange(KeGroup g, ModpParams params) : group_(g), params_(std::move(params)) {}

  Result<void> init(BnPtr x) {
    x_ = std::move(x);
    BN_set_flags(x_.get(), BN_FLG_CONSTTIME);
    ctx_.reset(BN_CTX_new());
    mont_.reset(BN_MONT_CTX_new());
    BnPtr y(BN_new());
    if (!ctx_ || !mont_ || !y || BN_MONT_CTX_set(mont_.get(), params_.p.get(), ctx_.get()) != 1 ||
        BN_mod_exp_mont_consttime(y.get(), params_.g.get(), x_.get(), params_.p.get(), ctx_.get(),
                                  mont_.get()) != 1) {
      return make_error("cannot compute the " + group_label(group_) + " public value");
    }
    public_.resize(modp_prime_size(group_));
    if (BN_bn2binpad(y.get(), public_.data(), static_cast<int>(public_.size())) < 0) {
      return make_error("cannot encode the " + group_label(group_) + " public value");
    }
    return {};
  }

  KeGroup group() const override { return group_; }
  const Bytes& public_value() const override { return public_; }

  Result<SecureBytes> derive(BytesView peer) override {
    const size_t plen = modp_prime_size(group_);
    // RFC 7296 3.4: the value is padded to the prime's length, so any other length is bad.
    if (peer.size() != plen) {
      return make_error(group_label(group_) + " public value must be " + std::to_string(plen) +
                        " octets, got " + std::to_string(peer.size()));
    }
    BnPtr y(BN_bin2bn(peer.data(), static_cast<int>(peer.size()), nullptr));
    BnPtr p_minus_1(BN_dup(params_.p.get()));
    if (!y || !p_minus_1 || BN_sub_word(p_minus_1.get(), 1) != 1) return make_error("out of memory");
    // RFC 6989 section 2.1: 1 < y < p-1 excludes the trivial elements 0, 1, p-1.
    if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), p_minus_1.get()) >= 0) {
      return make_error(group_label(group_) + " public value is out of range (RFC 6989 2.1)");
    }
    if (params_.q) {
      // RFC 6989 section 2.2: in a group with a small-order subgroup structure, y must
      // lie in the prime-order subgroup: y^q = 1 mod p.
      BnPtr t(BN_new());
      if (!t ||
          BN_mod_exp_mont(t.get(), y.get(), params_.q.get(), params_.p.get(), ctx_.get(), mont_.get()) != 1) {
        return make_error("out of memory");
      }
      if (!BN_is_one(t.get())) {
        return make_error(group_label(group_) +
                          " public value is not in the prime-order subgroup (RFC 6989 2.2)");
      }
    }
    BnPtr z(BN_secure_new());
    if (!z || BN_mod_exp_mont_consttime(z.get(), y.get(), x_.get(), params_.p.get(), ctx_.get(),
                                        mont_.get()) != 1) {
      return make_error("cannot compute the " + group_label(group_) + " shared secret");
    }
    SecureBytes shared(plen);
    if (BN_bn2binpad(z.get(), shared.data(), static_cast<int>(plen)) < 0) {
      return make_error("cannot encode the " + group_label(group_) + " shared secret");
    }
    return shared;
  }

 private:
  KeGroup group_;
  ModpParams params_;
  BnPtr x_;
  BnCtxPtr ctx_;
  MontPtr mont_;
  Bytes public_;
};

Result<std::unique_ptr<KeyExchange>> make_modp(KeGroup g, Random* rng, BytesView fixed) {
  auto params = modp_params(g);
  if (!params) return Unexpected(params.error());
  BnPtr x(BN_secure_new());
  if (!x) return make_error("out of memory");
  // Upper bound for x: q-1 in a prime-order subgroup, otherwise p-2.
  BnPtr limit(BN_dup(params->q ? params->q.get() : params->p.get()));
  if (!limit || BN_sub_word(limit.get(), params->q ? 1 : 2) != 1) return make_error("out of memory");
  if (rng) {
    SecureBytes buf(params->exponent_bytes);
    for (int attempt = 0;; ++attempt) {
      if (attempt == 1000) return make_error("random source keeps producing out-of-range exponents");
      rng->fill(buf.span());
      if (!BN_bin2bn(buf.data(), static_cast<int>(buf.size()), x.get())) return make_error("out of memory");
      if (!BN_is_zero(x.get()) && BN_cmp(x.get(), limit.get()) <= 0) break;
    }
  } else {
    if (fixed.empty() || fixed.size() > modp_prime_size(g)) {
      return make_error(group_label(g) + " private value has a bad length");
    }
    if (!BN_bin2bn(fixed.data(), static_cast<int>(fixed.size()), x.get())) return make_error("out of memory");
    if (BN_is_zero(x.get()) || BN_cmp(x.get(), limit.get()) > 0) {
      return make_error(group_label(g) + " private value is out of range");
    }
  }
  auto ke = std::make_unique<ModpKeyExchange>(g, std::move(*params));
  auto ok = ke->init(std::move(x));
  if (!ok) return Unexpected(ok.error());
  return std::unique_ptr<KeyExchange>(std::move(ke));
}

Result<std::unique_ptr<KeyExchange>> make_any(KeGroup group, Random* rng, BytesView fixed) {
  if (is_legacy_group(group) && !legacy_algorithms_allowed()) {
    return make_error(group_label(group) +
                      " is a legacy group (RFC 8247 MUST NOT); it needs the legacy-algorithms switch");
  }
  if (ecp_nid(group) != NID_undef) return make_ecp(group, rng, fixed);
  if (group == KeGroup::Curve25519 || group == KeGroup::Curve448) return make_ecx(group, rng, fixed);
  if (is_modp(group)) return make_modp(group, rng, fixed);
  return make_error("unsupported key exchange method " + std::to_string(int(group)));
}

}  // namespace

bool ke_group_supported(KeGroup group) {
  if (is_legacy_group(group)) return legacy_algorithms_allowed();
  return ke_public_size(group) != 0;
}

size_t ke_public_size(KeGroup group) {
  if (size_t l = ecp_coordinate_size(group)) return 2 * l;
  if (group == KeGroup::Curve25519) return 32;
  if (group == KeGroup::Curve448) return 56;
  return modp_prime_size(group);
}

Result<std::unique_ptr<KeyExchange>> make_key_exchange(KeGroup group, Random& rng) {
  return make_any(group, &rng, {});
}

Result<std::unique_ptr<KeyExchange>> make_key_exchange_from_private(KeGroup group, BytesView private_value) {
  return make_any(group, nullptr, private_value);
}

}  // namespace portunus::crypto
