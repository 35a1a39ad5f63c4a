// The published ESP vectors (tests/vectors/*.json, kind "esp", SCHEMA.md) through the data
// plane, independently of the portunus-vectors runner: encapsulation with the published IV,
// sequence number and padding reproduces the packet; decapsulation through an installed SA
// and Engine::inbound (tunnel mode for next header 4/41, else transport) gives the payload.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "portunus/crypto/protector.h"
#include "portunus/ipsec/engine.h"
#include "portunus/ipsec/esp.h"

namespace portunus::ipsec {
namespace {

using Json = nlohmann::json;

Bytes hex(const Json& c, const char* field) {
  if (!c.contains(field)) return {};
  auto b = hex_decode(c[field].get<std::string>());
  EXPECT_TRUE(b.has_value()) << field;
  return b.value_or(Bytes{});
}

std::vector<Json> esp_cases() {
  std::vector<Json> out;
  for (const auto& entry : std::filesystem::directory_iterator(PORTUNUS_SOURCE_DIR "/tests/vectors")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream f(entry.path());
    Json doc = Json::parse(f);
    for (const Json& c : doc["cases"])
      if (c["kind"] == "esp") out.push_back(c);
  }
  return out;
}

TEST(EspVectors, PublishedPacketsBothDirections) {
  std::vector<Json> cases = esp_cases();
  ASSERT_GE(cases.size(), 12u);  // 8 draft-mcgrew-gcm-test-01 + 4 RFC 3602 cases
  for (const Json& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto encr = static_cast<crypto::EncrId>(c["encr_id"].get<uint64_t>());
    auto integ = static_cast<crypto::IntegId>(c["integ_id"].get<uint64_t>());
    unsigned bits = c.contains("key_bits") ? c["key_bits"].get<unsigned>() : 0;
    Bytes keymat = hex(c, "keymat"), integ_key = hex(c, "integ_key"), iv = hex(c, "iv");
    Bytes payload = hex(c, "payload"), padding = hex(c, "padding"), packet = hex(c, "esp_packet");
    uint64_t seq = c["seq"].get<uint64_t>();
    bool esn = c["esn"].get<bool>();
    auto nh = static_cast<uint8_t>(c["next_header"].get<uint64_t>());
    uint32_t spi = load_be32(hex(c, "spi").data());

    // Encapsulation, byte for byte.
    auto prot = crypto::make_protector(encr, bits, keymat, integ, integ_key);
    ASSERT_TRUE(prot);
    Bytes out(8 + iv.size() + payload.size() + padding.size() + 2 + (*prot)->icv_size());
    std::copy(payload.begin(), payload.end(), out.begin() + 8 + static_cast<long>(iv.size()));
    EspSealParams sp{spi, seq, esn, (*prot)->is_aead(), nh};
    ASSERT_EQ(esp_seal(**prot, sp, iv, padding, out.data(), payload.size()), packet.size());
    EXPECT_EQ(hex_encode(out), hex_encode(packet));

    // Decapsulation through the SAD and the packet API.
    Engine engine;
    SaParams p;
    p.direction = Direction::Inbound;
    p.spi = spi;
    p.mode = (nh == 4 || nh == 41) ? Mode::Tunnel : Mode::Transport;
    p.local = *IpAddress::parse("192.0.2.2");
    p.remote = *IpAddress::parse("192.0.2.1");
    p.encr = encr;
    p.encr_key_bits = bits;
    p.encr_keymat = SecureBytes(keymat);
    p.integ = integ;
    p.integ_key = SecureBytes(integ_key);
    p.esn = esn;
    p.initial_seq = seq - 1;  // so that seq is the number inferred (RFC 4303 Appendix A)
    p.selectors = {Selector::any(IpFamily::V4), Selector::any(IpFamily::V6)};
    auto id = engine.install_sa(std::move(p), 0);
    ASSERT_TRUE(id) << id.error().message;
    Bytes storage(20 + packet.size());
    storage[0] = 0x45;
    storage[8] = 64;
    storage[9] = 50;
    store_be16(storage.data() + 2, static_cast<uint16_t>(storage.size()));
    std::copy(packet.begin(), packet.end(), storage.begin() + 20);
    wire::ipv4_set_checksum(MutBytes(storage).first(20));
    Bytes copy = storage;
    PacketBuffer buf(storage, 0, storage.size());
    InboundResult r = engine.inbound(buf, 0);
    ASSERT_EQ(r.verdict, Verdict::Deliver) << name(r.reason);
    if (nh == 4 || nh == 41) {
      EXPECT_EQ(hex_encode(buf.view()), hex_encode(payload));
    } else {
      EXPECT_EQ(buf.data()[9], nh);
      EXPECT_EQ(hex_encode(buf.view().subspan(20)), hex_encode(payload));
    }
    EXPECT_EQ(engine.sad().get(*id)->replay.highest(), seq);
    // A flipped ICV bit is refused, and so is the same packet again.
    Bytes forged = copy;
    forged.back() ^= 1;
    PacketBuffer fb(forged, 0, forged.size());
    InboundResult fr = engine.inbound(fb, 0);
    EXPECT_EQ(fr.verdict, Verdict::Discard);
    EXPECT_TRUE(fr.reason == DiscardReason::IcvMismatch || fr.reason == DiscardReason::Replayed);
    PacketBuffer again(copy, 0, copy.size());
    EXPECT_EQ(engine.inbound(again, 0).reason, DiscardReason::Replayed);
  }
}

}  // namespace
}  // namespace portunus::ipsec
