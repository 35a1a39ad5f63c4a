// IKE_AUTH (RFC 7296 1.2, 2.15) with the first Child SA, in both roles. Authentication
// goes through the Authenticator interface: PSK (auth_psk.h) or certificates and signatures
// (auth_cert.h), chosen per side, so one side may use a PSK and the other a certificate.
#include <algorithm>

#include "portunus/ike/auth_cert.h"
#include "portunus/ike/auth_psk.h"
#include "portunus/ike/engine_impl.h"
#include "portunus/ike/proposal_select.h"
#include "portunus/ike/sk_payload.h"
#include "portunus/ike/ts_narrowing.h"

namespace portunus::ike {

using wire::NotifyType;

namespace {

Result<Identity> configured_identity(const std::string& text) {
  if (text.empty() || text == "%any" || text == "%any6") return Identity{};
  return parse_identity(text);
}

// ID payload body exactly as signed: ID Type | RESERVED (zero) | data.
template <class IdPayload>
Bytes id_body(const IdPayload& p) {
  Bytes b{static_cast<uint8_t>(p.id_type), 0, 0, 0};
  b.insert(b.end(), p.data.begin(), p.data.end());
  return b;
}

}  // namespace

Result<Identity> Engine::Impl::local_identity(const IkeSa& sa, const ConnectionConfig& conn) const {
  auto id = configured_identity(conn.local.id);
  if (!id) return id;
  if (!id->is_any()) return id;
  // With a certificate and no configured id, its subject is our identity (as in swanctl):
  // the peer can bind a DER_ASN1_DN to the certificate without further configuration.
  if (conn.local.auth == AuthClass::PubKey && !conn.local.credentials.empty()) {
    Identity dn;
    dn.type = IdType::DerAsn1Dn;
    dn.data = conn.local.credentials.front().cert.subject_der();
    return dn;
  }
  // Default: our IP address (RFC 7296 3.5 ID_IPV4_ADDR / ID_IPV6_ADDR).
  Identity ip;
  ip.type = sa.local.addr.is_v4() ? IdType::Ipv4Addr : IdType::Ipv6Addr;
  ip.data.assign(sa.local.addr.bytes().begin(), sa.local.addr.bytes().end());
  return ip;
}

// The secret for a pair of identities: the entry naming the most of the two wins, an entry
// without ids matches any pair (swanctl secrets semantics, simplified).
const SharedSecret* Engine::Impl::find_secret(const Identity& local, const Identity& remote) const {
  const SharedSecret* best = nullptr;
  int best_score = -1;
  for (const auto& s : config.secrets) {
    int score = 0;
    bool any_match = s.ids.empty();
    for (const auto& text : s.ids) {
      auto id = configured_identity(text);
      if (!id) continue;
      if (id->is_any()) {
        any_match = true;
        continue;
      }
      if (*id == local) {
        any_match = true;
        score += 1;
      }
      if (identity_matches(*id, remote)) {
        any_match = true;
        score += 2;
      }
    }
    if (any_match && score > best_score) {
      best = &s;
      best_score = score;
    }
  }
  return best;
}

namespace {

// More CERT payloads than any sane chain needs are refused before parsing them all.
constexpr size_t kMaxCertPayloads = 16;

std::string_view auth_method_name(crypto::AuthMethod m) {
  switch (m) {
    case crypto::AuthMethod::RsaSig:
      return "RSA signature (method 1)";
    case crypto::AuthMethod::SharedKeyMic:
      return "pre-shared key (method 2)";
    case crypto::AuthMethod::EcdsaSha256P256:
      return "ECDSA-256 signature (method 9)";
    case crypto::AuthMethod::EcdsaSha384P384:
      return "ECDSA-384 signature (method 10)";
    case crypto::AuthMethod::EcdsaSha512P521:
      return "ECDSA-521 signature (method 11)";
    case crypto::AuthMethod::DigitalSignature:
      return "RFC 7427 signature (method 14)";
    default:
      return "unknown method";
  }
}

std::string_view constraint_name(PubKeyConstraint c) {
  switch (c) {
    case PubKeyConstraint::Rsa:
      return "rsa";
    case PubKeyConstraint::Ecdsa:
      return "ecdsa";
    case PubKeyConstraint::Ed25519:
      return "ed25519";
    case PubKeyConstraint::Ed448:
      return "ed448";
    case PubKeyConstraint::Any:
      break;
  }
  return "any";
}

bool constraint_allows(PubKeyConstraint c, crypto::KeyType t) {
  switch (c) {
    case PubKeyConstraint::Any:
      return true;
    case PubKeyConstraint::Rsa:
      return t == crypto::KeyType::Rsa;
    case PubKeyConstraint::Ecdsa:
      return t == crypto::KeyType::Ec;
    case PubKeyConstraint::Ed25519:
      return t == crypto::KeyType::Ed25519;
    case PubKeyConstraint::Ed448:
      return t == crypto::KeyType::Ed448;
  }
  return false;
}

}  // namespace

namespace {
constexpr size_t kMaxMemoizedCerts = 256;
std::string der_key(const crypto::Certificate& c) {
  const Bytes der = c.der();
  return std::string(der.begin(), der.end());
}
}  // namespace

const Bytes& Engine::Impl::spki_hash(const crypto::Certificate& cert) const {
  std::string key = der_key(cert);
  if (auto it = spki_hashes.find(key); it != spki_hashes.end()) return it->second;
  if (spki_hashes.size() >= kMaxMemoizedCerts) spki_hashes.clear();
  return spki_hashes.emplace(std::move(key), cert.spki_sha1()).first->second;
}

// CERTREQ for the CAs the peer's certificate must lead to (nullopt: we verify no certificates).
// The same data as TrustStore::certreq_data, with the hashes memoized.
std::optional<wire::CertReqPayload> Engine::Impl::certreq_payload(const PeerAuthConfig& remote) const {
  if (remote.auth != AuthClass::PubKey || !remote.trust || remote.trust->cas().empty()) return std::nullopt;
  wire::CertReqPayload req{wire::CertEncoding::X509Signature, {}};
  for (const auto& ca : remote.trust->cas()) {
    const Bytes& h = spki_hash(ca);
    req.data.insert(req.data.end(), h.begin(), h.end());
  }
  return req;
}

void Engine::Impl::note_signature_hashes(IkeSa& sa, const std::vector<wire::Payload>& payloads) {
  sa.peer_hashes.clear();
  for (const auto& p : payloads) {
    const auto* n = std::get_if<wire::NotifyPayload>(&p);
    if (!n || n->type != NotifyType::SignatureHashAlgorithms) continue;
    auto hashes = parse_signature_hashes(n->data);
    if (!hashes) {
      // Treated as not announced: we fall back to the classic AUTH methods.
      event(EventKind::Info, &sa, "ignoring SIGNATURE_HASH_ALGORITHMS: " + hashes.error().message);
      continue;
    }
    for (auto h : *hashes)
      if (std::find(sa.peer_hashes.begin(), sa.peer_hashes.end(), h) == sa.peer_hashes.end())
        sa.peer_hashes.push_back(h);
  }
}

void Engine::Impl::note_certreq(IkeSa& sa, const std::vector<wire::Payload>& payloads) {
  for (const auto& p : payloads) {
    const auto* r = std::get_if<wire::CertReqPayload>(&p);
    if (!r) continue;
    sa.peer_sent_certreq = true;
    if (r->encoding != wire::CertEncoding::X509Signature) {
      event(EventKind::Info, &sa, "ignoring CERTREQ with encoding " + wire::name(r->encoding));
      continue;
    }
    auto hashes = parse_certreq_hashes(r->data);
    if (!hashes) {
      event(EventKind::Info, &sa, "ignoring CERTREQ: " + hashes.error().message);
      continue;
    }
    // Bounded: a CERTREQ only steers which of our certificates we send.
    for (auto& h : *hashes)
      if (sa.peer_certreq.size() < 64) sa.peer_certreq.push_back(std::move(h));
  }
}

Result<Engine::Impl::LocalAuth> Engine::Impl::make_signer(const IkeSa& sa, const ConnectionConfig& conn,
                                                          const SharedSecret* secret) const {
  const PeerAuthConfig& local = conn.local;
  LocalAuth out;
  if (local.auth == AuthClass::Psk) {
    if (!secret) return make_error("no shared secret for " + to_string(sa.local_id));
    auto pad = psk_pads.get(sa.keys.alg.prf, secret->secret);
    if (!pad) return Unexpected(pad.error());
    out.auth = std::make_unique<PskAuthenticator>(std::move(*pad));
    return out;
  }
  if (local.credentials.empty()) return make_error("auth = pubkey but no certificate with a private key");
  // RFC 7296 3.7: the certificate whose chain leads to a CA the peer asked for; without a
  // match (or a CERTREQ) the first configured one.
  // (select_by_certreq's rule, with the hashes memoized.)
  size_t pick = 0;
  for (size_t i = 0; i < local.credentials.size() && !sa.peer_certreq.empty(); ++i) {
    const auto& chain = local.credentials[i].chain;
    const bool asked = std::any_of(chain.begin(), chain.end(), [&](const crypto::Certificate& ca) {
      return std::find(sa.peer_certreq.begin(), sa.peer_certreq.end(), spki_hash(ca)) !=
             sa.peer_certreq.end();
    });
    if (asked) {
      pick = i;
      break;
    }
  }
  const CertCredentials& creds = local.credentials[pick];
  auto signer = CertAuthenticator::signer(creds, local.rsa_padding, sa.peer_hashes);
  if (!signer) return make_error("certificate " + creds.cert.subject() + ": " + signer.error().message);
  const bool send =
      conn.send_cert == SendCert::Always || (conn.send_cert == SendCert::IfAsked && sa.peer_sent_certreq);
  if (send)
    for (auto& der : cert_payloads(creds))
      out.certs.push_back(wire::CertPayload{wire::CertEncoding::X509Signature, std::move(der)});
  out.auth = std::move(*signer);
  return out;
}

Result<void> Engine::Impl::verify_peer(IkeSa& sa, const PeerAuthConfig& remote, const SharedSecret* secret,
                                       const std::vector<wire::Payload>& inner, const Identity& peer,
                                       const wire::AuthPayload& auth, BytesView octets) {
  if (remote.auth == AuthClass::Psk) {
    if (!secret) return make_error("no shared secret for " + to_string(peer));
    auto pad = psk_pads.get(sa.keys.alg.prf, secret->secret);
    if (!pad) return Unexpected(pad.error());
    PskAuthenticator psk(std::move(*pad));
    if (!psk.verify(auth.method, octets, auth.data))
      return make_error("AUTH payload (" + std::string(auth_method_name(auth.method)) + ") of " +
                        to_string(peer) + " does not verify with the pre-shared key");
    return {};
  }
  PeerCertContext ctx;
  ctx.trust = remote.trust;
  ctx.configured = remote.peer_cert;
  ctx.peer_id = peer;
  size_t certs = 0;
  for (const auto& p : inner) {
    const auto* c = std::get_if<wire::CertPayload>(&p);
    if (!c) continue;
    if (c->encoding != wire::CertEncoding::X509Signature) {
      event(EventKind::Info, &sa, "ignoring CERT payload with encoding " + wire::name(c->encoding));
      continue;
    }
    if (++certs > kMaxCertPayloads) return make_error("Malformed: more than 16 CERT payloads");
    std::string key(c->data.begin(), c->data.end());
    if (auto it = parsed_certs.find(key); it != parsed_certs.end()) {
      ctx.received.push_back(it->second);
      continue;
    }
    auto cert = crypto::Certificate::from_der(c->data);
    if (!cert) return make_error("Malformed: CERT payload: " + cert.error().message);
    if (parsed_certs.size() >= kMaxMemoizedCerts) parsed_certs.clear();
    parsed_certs.emplace(std::move(key), *cert);
    ctx.received.push_back(std::move(*cert));
  }
  auto verifier = CertAuthenticator::verifier(std::move(ctx));
  if (!verifier->verify(auth.method, octets, auth.data)) {
    const auto& f = verifier->failure();
    return make_error(f ? f->text() : std::string("AUTH signature does not verify"));
  }
  const crypto::Certificate& cert = *verifier->peer_certificate();
  if (!constraint_allows(remote.constraint, cert.key_type()))
    return make_error("key type constraint: " + cert.subject() + " has a " + cert.key_description() +
                      " key, the connection requires " + std::string(constraint_name(remote.constraint)));
  event(EventKind::Info, &sa,
        "authentication of '" + to_string(peer) + "' with " + std::string(auth_method_name(auth.method)) +
            " successful (certificate \"" + cert.subject() + "\", " + cert.key_description() + ")");
  return {};
}

void Engine::Impl::send_auth(IkeSa& sa, Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  auto fail = [&](std::string why) {
    event(EventKind::IkeSaFailed, &sa, std::move(why));
    kill(sa, false);
  };
  if (!conn) return fail("connection removed");
  // The first queued child negotiation rides in IKE_AUTH (RFC 7296 1.2).
  Task task;
  auto it = std::find_if(sa.queue.begin(), sa.queue.end(),
                         [](const Task& t) { return t.kind == TaskKind::CreateChild; });
  if (it != sa.queue.end()) {
    task = std::move(*it);
    sa.queue.erase(it);
  }
  task.kind = TaskKind::Auth;
  const ChildConfig* ch = child_config(*conn, task.child);
  if (!ch) return fail("no child configuration for IKE_AUTH");

  auto local = local_identity(sa, *conn);
  if (!local) return fail("local identity: " + local.error().message);
  auto remote = configured_identity(conn->remote.id);
  if (!remote) return fail("remote identity: " + remote.error().message);
  sa.local_id = *local;
  const SharedSecret* secret = find_secret(*local, *remote);
  auto signer = make_signer(sa, *conn, secret);
  if (!signer) return fail("no usable authentication for the local side: " + signer.error().message);
  auto idi = id_payload<wire::IdiPayload>(*local);
  auto octets = signed_octets(sa.keys.alg.prf, sa.init_request, sa.nr, sa.keys.sk_pi, id_body(idi));
  if (!octets) return fail("AUTH: " + octets.error().message);
  auto data = signer->auth->sign(*octets);
  if (!data) return fail("AUTH: " + data.error().message);

  task.new_spi_in = fresh_child_spi();
  task.offered = child_proposals(*ch, task.new_spi_in, false);
  propose_ts(sa, *ch, task);

  // RFC 7296 1.2: IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr. The initiator's
  // CERTREQ goes here (it learns nothing before the responder's IKE_SA_INIT answer).
  std::vector<wire::Payload> p;
  p.push_back(idi);
  for (auto& c : signer->certs) p.push_back(std::move(c));
  if (conn->send_initial_contact) p.push_back(notify(NotifyType::InitialContact));
  if (auto req = certreq_payload(conn->remote)) p.push_back(std::move(*req));
  if (!remote->is_any()) p.push_back(id_payload<wire::IdrPayload>(*remote));
  p.push_back(wire::AuthPayload{signer->auth->method(), std::move(*data)});
  if (ch->mode == IpsecMode::Transport) p.push_back(notify(NotifyType::UseTransportMode));
  p.push_back(wire::SaPayload{task.offered});
  p.push_back(wire::TsiPayload{task.tsi});
  p.push_back(wire::TsrPayload{task.tsr});
  if (!send_request(sa, std::move(task), wire::ExchangeType::IkeAuth, p, now)) fail("cannot send IKE_AUTH");
}

void Engine::Impl::send_auth_failed(IkeSa& sa) {
  auto prot = sa.out_protector();
  if (!prot) return;
  auto bytes = seal_message(header(sa, wire::ExchangeType::Informational, false, sa.next_request_id),
                            {notify(NotifyType::AuthenticationFailed)}, *prot, random);
  if (!bytes) return;
  ++sa.next_request_id;
  send_raw(sa, std::move(*bytes));
}

void Engine::Impl::established(IkeSa& sa, Instant now) {
  sa.state = IkeState::Established;
  sa.established = now;
  if (sa.counted_half_open) {
    half_open.closed(sa.remote.addr);
    sa.counted_half_open = false;
  }
  sa.half_open_until.reset();
  // The by_init entry stays until the SA dies: a late copy of the IKE_SA_INIT request (the
  // network duplicated and delayed it) must still be recognised as a retransmission, not
  // open a second half-open SA (RFC 7296 2.1). finish() removes it with the SA.
  ++counters.ike_sa_established;
  const ConnectionConfig* conn = connection(sa.connection);
  schedule_rekey(sa, now);
  if (sa.nat_local && conn) sa.keepalive_at = now + conn->keepalive_interval;
  // Built in one buffer: a chain of operator+ and snprintf cost ~2% of a responder's
  // handshake in temporaries.
  std::string msg;
  msg.reserve(160);
  msg.append("IKE_SA ").append(sa.connection).append("[").append(std::to_string(sa.id));
  msg.append("] established between ").append(sa.local.addr.to_string()).append("[");
  msg.append(to_string(sa.local_id)).append("]...").append(sa.remote.addr.to_string()).append("[");
  msg.append(to_string(sa.remote_id)).append("] SPIs ");
  append_hex(msg, sa.spi_i, 16);
  msg.append("_i ");
  append_hex(msg, sa.spi_r, 16);
  msg.append("_r");
  if (sa.nat_local || sa.nat_remote) msg.append(" (NAT-T)");
  event(EventKind::IkeSaEstablished, &sa, std::move(msg));
  if (config.export_keys) {
    KeyExport k;
    k.ike_sa = sa.id;
    k.spi_i = spi8(sa.spi_i);
    k.spi_r = spi8(sa.spi_r);
    k.sk_ei = sa.keys.sk_ei;
    k.sk_er = sa.keys.sk_er;
    k.sk_ai = sa.keys.sk_ai;
    k.sk_ar = sa.keys.sk_ar;
    k.encr = sa.keys.alg.encr;
    k.encr_key_bits = sa.keys.alg.encr_key_bits;
    k.integ = sa.keys.alg.integ;
    key_exports.push_back(std::move(k));
  }
  touch(sa);
}

void Engine::Impl::forget_init_material(IkeSa& sa) {
  // The IKE_SA_INIT messages and nonces are only needed for AUTH and the first Child SA.
  sa.init_request = Bytes{};
  sa.init_response = Bytes{};
  sa.ni = Bytes{};
  sa.nr = Bytes{};
  sa.cookie = Bytes{};
  sa.offered = {};
  // SK_pi / SK_pr only authenticate IKE_AUTH.
  sa.keys.sk_pi = SecureBytes{};
  sa.keys.sk_pr = SecureBytes{};
}

// INITIAL_CONTACT (RFC 7296 2.4): the peer has no other SAs with us; older IKE SAs of the
// same connection and peer identity are stale and go silently.
void Engine::Impl::drop_duplicates(IkeSa& sa) {
  for (auto& [id, other] : sas) {
    if (other.get() == &sa || other->state == IkeState::Dead || other->connection != sa.connection) continue;
    if (other->state != IkeState::Established || !(other->remote_id == sa.remote_id)) continue;
    event(EventKind::IkeSaDeleted, other.get(), "IKE_SA replaced (peer sent INITIAL_CONTACT)");
    kill(*other, true);
  }
}

void Engine::Impl::handle_auth_request(IkeSa& sa, const wire::Message& msg,
                                       const std::vector<wire::Payload>& inner, Instant now) {
  const uint32_t mid = msg.header.message_id;
  auto reject = [&](std::string why) {
    ++counters.auth_failed;
    event(EventKind::IkeSaFailed, &sa, "authentication failed: " + why);
    send_response(sa, wire::ExchangeType::IkeAuth, mid, {notify(NotifyType::AuthenticationFailed)});
    kill(sa, false);
  };
  const auto* idi = find_payload<wire::IdiPayload>(inner);
  const auto* idr = find_payload<wire::IdrPayload>(inner);
  const auto* authp = find_payload<wire::AuthPayload>(inner);
  if (!idi || !authp) return reject("IDi or AUTH missing");
  const Identity peer = identity_of(static_cast<uint8_t>(idi->id_type), idi->data);
  std::optional<Identity> wanted;
  if (idr) wanted = identity_of(static_cast<uint8_t>(idr->id_type), idr->data);

  // Pick the connection: the peer's identity (and the one it asks us to be) must fit.
  const ConnectionConfig* conn = nullptr;
  auto fits = [&](const ConnectionConfig& c) {
    auto rid = configured_identity(c.remote.id);
    if (!rid || !identity_matches(*rid, peer)) return false;
    if (wanted) {
      auto lid = local_identity(sa, c);
      if (!lid || !(*lid == *wanted)) return false;
    }
    return true;
  };
  if (const ConnectionConfig* cur = connection(sa.connection); cur && fits(*cur)) conn = cur;
  for (const auto& c : config.connections) {
    if (conn) break;
    const bool local_ok = c.local_addrs.empty() || std::find(c.local_addrs.begin(), c.local_addrs.end(),
                                                             sa.local.addr) != c.local_addrs.end();
    const bool remote_ok = c.remote_addrs.empty() || std::find(c.remote_addrs.begin(), c.remote_addrs.end(),
                                                               sa.remote.addr) != c.remote_addrs.end();
    if (local_ok && remote_ok && fits(c)) conn = &c;
  }
  if (!conn) return reject("no connection for peer identity " + to_string(peer));
  sa.connection = conn->name;
  sa.remote_id = peer;
  auto local = local_identity(sa, *conn);
  if (!local) return reject("local identity");
  sa.local_id = *local;

  const SharedSecret* secret = find_secret(*local, peer);
  auto peer_octets = signed_octets(sa.keys.alg.prf, sa.init_request, sa.nr, sa.keys.sk_pi, id_body(*idi));
  if (!peer_octets) return reject("signed octets: " + peer_octets.error().message);
  if (auto ok = verify_peer(sa, conn->remote, secret, inner, peer, *authp, *peer_octets); !ok)
    return reject(to_string(peer) + ": " + ok.error().message);

  // The initiator's CERTREQ picks which of our certificates we answer with.
  note_certreq(sa, inner);
  auto signer = make_signer(sa, *conn, secret);
  if (!signer) return reject("cannot sign: " + signer.error().message);
  auto idr_out = id_payload<wire::IdrPayload>(*local);
  auto our_octets = signed_octets(sa.keys.alg.prf, sa.init_response, sa.ni, sa.keys.sk_pr, id_body(idr_out));
  if (!our_octets) return reject("signed octets: " + our_octets.error().message);
  auto our_auth = signer->auth->sign(*our_octets);
  if (!our_auth) return reject("cannot sign: " + our_auth.error().message);

  if (find_notify(inner, NotifyType::InitialContact)) drop_duplicates(sa);

  // RFC 7296 1.2: IDr, [CERT,] AUTH, SAr2, TSi, TSr.
  std::vector<wire::Payload> out;
  out.push_back(idr_out);
  for (auto& c : signer->certs) out.push_back(std::move(c));
  out.push_back(wire::AuthPayload{signer->auth->method(), std::move(*our_auth)});
  established(sa, now);

  auto offer = child_offer(inner);
  auto answer = answer_child(sa, *conn, offer, nullptr, false, std::nullopt);
  if (!answer) {
    event(EventKind::ChildSaFailed, &sa, "CHILD_SA not created: " + wire::name(answer.error()));
    out.push_back(notify(answer.error()));
  } else {
    ChildSa* c = install_answered_child(sa, *answer, reqid_for(*conn, *answer->cfg), answer->transport, {},
                                        sa.ni, sa.nr, !offer.tfc_unsupported, nullptr, now);
    if (!c) {
      out.push_back(notify(NotifyType::NoProposalChosen));
    } else {
      if (answer->transport) out.push_back(notify(NotifyType::UseTransportMode));
      out.push_back(wire::SaPayload{{answer->chosen}});
      out.push_back(wire::TsiPayload{answer->tsi});
      out.push_back(wire::TsrPayload{answer->tsr});
    }
  }
  send_response(sa, wire::ExchangeType::IkeAuth, mid, out);
  forget_init_material(sa);
}

void Engine::Impl::handle_auth_response(IkeSa& sa, Task& task, const std::vector<wire::Payload>& inner,
                                        Instant now) {
  const ConnectionConfig* conn = connection(sa.connection);
  auto fail = [&](std::string why) {
    ++counters.auth_failed;
    event(EventKind::IkeSaFailed, &sa, std::move(why));
    kill(sa, false);
  };
  if (!conn) return fail("connection removed");
  const auto* idr = find_payload<wire::IdrPayload>(inner);
  const auto* authp = find_payload<wire::AuthPayload>(inner);
  if (!idr || !authp) {
    const auto* err = first_error(inner);
    return fail("IKE_AUTH failed: " +
                (err ? "peer sent " + wire::name(err->type) : std::string("IDr/AUTH missing")));
  }
  const Identity peer = identity_of(static_cast<uint8_t>(idr->id_type), idr->data);
  auto rid = configured_identity(conn->remote.id);
  if (!rid || !identity_matches(*rid, peer)) {
    send_auth_failed(sa);
    return fail("authentication failed: peer identity " + to_string(peer) + " not acceptable");
  }
  sa.remote_id = peer;
  const SharedSecret* secret = find_secret(sa.local_id, peer);
  auto octets = signed_octets(sa.keys.alg.prf, sa.init_response, sa.ni, sa.keys.sk_pr, id_body(*idr));
  if (!octets) return fail("signed octets: " + octets.error().message);
  if (auto ok = verify_peer(sa, conn->remote, secret, inner, peer, *authp, *octets); !ok) {
    // The responder considers the IKE SA established. RFC 7296 2.21.2: the initiator MAY
    // report the failure in a separate INFORMATIONAL exchange; we send it once (strongSwan
    // does the same) and drop the SA without waiting, so the responder deletes its side.
    send_auth_failed(sa);
    return fail("authentication failed: " + to_string(peer) + ": " + ok.error().message);
  }
  established(sa, now);

  const ChildConfig* ch = child_config(*conn, task.child);
  const auto* err = first_error(inner);
  auto offer = child_offer(inner);
  if (err || !offer.sa || !offer.tsi || !offer.tsr || !ch) {
    child_spis.erase(task.new_spi_in);
    event(
        EventKind::ChildSaFailed, &sa,
        "CHILD_SA " + task.child + " not created: " + (err ? wire::name(err->type) : std::string("no SA/TS")),
        task.child);
  } else {
    auto chosen = validate_selected_proposal(offer.sa->proposals, task.offered, ProposalKind::ChildSa);
    const bool ts_ok =
        reply_within(offer.tsi->selectors, task.tsi) && reply_within(offer.tsr->selectors, task.tsr);
    ChildSa* c = nullptr;
    if (chosen && ts_ok) {
      const bool transport = offer.transport && ch->mode == IpsecMode::Transport;
      c = install_child(sa, ch, ch->name, task.reqid, *chosen, task.new_spi_in, load_be32(chosen->spi.data()),
                        transport, offer.tsi->selectors, offer.tsr->selectors, {}, sa.ni, sa.nr, true,
                        !offer.tfc_unsupported, nullptr, now);
    } else {
      event(EventKind::ChildSaFailed, &sa,
            "CHILD_SA " + ch->name + ": responder's choice is not what we offered", ch->name);
    }
    if (!c) {
      // The peer installed it; tell it to delete (RFC 7296 2.9 / 1.4.1).
      Task del;
      del.kind = TaskKind::DeleteChild;
      del.delete_spis = {task.new_spi_in};
      sa.queue.push_front(std::move(del));
    }
  }
  forget_init_material(sa);
  pump(sa, now);
}

}  // namespace portunus::ike
