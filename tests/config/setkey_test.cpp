#include "portunus/config/setkey.h"

#include <gtest/gtest.h>

#include <fstream>

namespace portunus::config::setkey {
namespace {

using crypto::EncrId;
using crypto::IntegId;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

const std::string kMipv6 = std::string(PORTUNUS_SOURCE_DIR) + "/examples/config/mipv6-ha.setkey";

std::vector<Command> ok(const std::string& text, bool legacy = false) {
  ParseOptions o;
  o.allow_legacy_algorithms = legacy;
  auto r = parse(text, "t.setkey", o);
  EXPECT_TRUE(r) << text << "\n" << (r ? "" : r.error().message);
  return r ? *r : std::vector<Command>{};
}

TEST(Setkey, Mipv6HomeAgentLoadsWithLegacySwitch) {
  ParseOptions legacy;
  legacy.allow_legacy_algorithms = true;
  auto r = parse_file(kMipv6, legacy);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u + 8u + 8u);
  EXPECT_EQ((*r)[0].op, Op::Flush);
  EXPECT_EQ((*r)[1].op, Op::SpdFlush);

  const Command& bu = (*r)[2];
  EXPECT_EQ(bu.op, Op::Add);
  EXPECT_EQ(bu.where.file, kMipv6);
  EXPECT_EQ(bu.sa.src.address, ip("2001:db8:1::1000"));
  EXPECT_EQ(bu.sa.src.prefix_len, 128);
  EXPECT_EQ(bu.sa.dst.address, ip("2001:db8:1::1"));
  EXPECT_EQ(bu.sa.spi, 0x1001u);
  EXPECT_EQ(bu.sa.reqid, 1001u);
  EXPECT_EQ(bu.sa.mode, Mode::Transport);
  EXPECT_EQ(bu.sa.encr, EncrId::Des);
  EXPECT_EQ(bu.sa.encr_key, SecureBytes(as_bytes("MIP6-K01")));
  EXPECT_EQ(bu.sa.encr_key_bits, 0u);
  EXPECT_EQ(bu.sa.integ, IntegId::HmacSha1_96);
  EXPECT_EQ(bu.sa.integ_key, SecureBytes(as_bytes("MN1-to-HA-bu-authkey")));
  EXPECT_EQ(bu.sa.replay_window, 0u);  // no -r: setkey means no replay check
  EXPECT_EQ((*r)[4].sa.mode, Mode::Tunnel);

  size_t transport = 0, tunnel = 0;
  for (const auto& c : *r) {
    if (c.op != Op::SpdAdd) continue;
    EXPECT_EQ(c.policy.upper_protocol, 135);
    ASSERT_EQ(c.policy.requests.size(), 1u);
    const auto& req = c.policy.requests[0];
    if (req.mode == Mode::Transport) {
      ++transport;
      EXPECT_EQ(req.level, Level::Require);
      EXPECT_FALSE(req.tunnel_src);
    } else {
      ++tunnel;
      EXPECT_EQ(req.level, Level::Unique);
      EXPECT_NE(req.unique_id, 0u);
      ASSERT_TRUE(req.tunnel_src && req.tunnel_dst);
    }
  }
  EXPECT_EQ(transport, 4u);
  EXPECT_EQ(tunnel, 4u);
  // The first tunnel policy: HoT towards MN1.
  const Command& hot = (*r)[14];
  EXPECT_EQ(hot.op, Op::SpdAdd);
  EXPECT_EQ(hot.policy.src.address, ip("::"));
  EXPECT_EQ(hot.policy.src.prefix_len, 0);
  EXPECT_EQ(hot.policy.dst.prefix_len, 128);
  EXPECT_EQ(hot.policy.direction, Direction::Out);
  EXPECT_EQ(hot.policy.requests[0].tunnel_src, ip("2001:db8:1::1"));
  EXPECT_EQ(hot.policy.requests[0].tunnel_dst, ip("2001:db8:1::1000"));
  EXPECT_EQ(hot.policy.requests[0].unique_id, 1004u);
}

TEST(Setkey, Mipv6HomeAgentWithoutLegacySwitchNamesLineAndAlgorithm) {
  // The line of the first des-cbc in the file (the add statement starts one line earlier).
  std::ifstream in(kMipv6);
  std::string line;
  int lineno = 0, des_line = 0;
  while (des_line == 0 && std::getline(in, line)) {
    ++lineno;
    if (line.find("des-cbc") != std::string::npos && line.find('#') == std::string::npos) des_line = lineno;
  }
  ASSERT_GT(des_line, 0);
  auto r = parse_file(kMipv6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            kMipv6 + ":" + std::to_string(des_line) +
                ": 'des-cbc': legacy algorithm (RFC 8247 MUST NOT); it loads only with the "
                "legacy-algorithms switch");
}

TEST(Setkey, ModernSaAndKeyForms) {
  auto cmds =
      ok("add 192.0.2.1 192.0.2.2 esp 0xc0ffee01 -m tunnel -u 7 -r 128 -lh 3600 -ls 3000 -bh 1000000 -bs "
         "900000\n"
         "  -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;\n"
         "add 192.0.2.2 192.0.2.1 esp 4096 -E aes-cbc "
         "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
         " -A hmac-sha256 \"0123456789abcdef0123456789abcdef\";\n"
         "add 10.0.0.1[4500] 10.0.0.2[4501] esp-udp 0x300 -E chacha20-poly1305 "
         "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223;\n"
         "add -6 2001:db8::1 2001:db8::2 esp 0x301 -E aes-ctr 0x000102030405060708090a0b0c0d0e0f10111213 "
         "-A aes-xcbc-mac 0x000102030405060708090a0b0c0d0e0f;\n"
         "add 192.0.2.1 192.0.2.2 esp 0x302 -E null -A hmac-sha512 "
         "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f;\n");
  ASSERT_EQ(cmds.size(), 5u);
  const SaSpec& gcm = cmds[0].sa;
  EXPECT_EQ(gcm.spi, 0xc0ffee01u);
  EXPECT_EQ(gcm.mode, Mode::Tunnel);
  EXPECT_EQ(gcm.reqid, 7u);
  EXPECT_EQ(gcm.replay_window, 128u);
  EXPECT_EQ(gcm.hard_seconds, 3600u);
  EXPECT_EQ(gcm.soft_seconds, 3000u);
  EXPECT_EQ(gcm.hard_bytes, 1000000u);
  EXPECT_EQ(gcm.soft_bytes, 900000u);
  EXPECT_EQ(gcm.encr, EncrId::AesGcm16);
  EXPECT_EQ(gcm.encr_key_bits, 128u);
  EXPECT_EQ(gcm.encr_key.size(), 20u);
  EXPECT_FALSE(gcm.integ);
  EXPECT_EQ(cmds[1].sa.spi, 4096u);
  EXPECT_EQ(cmds[1].sa.encr_key_bits, 256u);
  EXPECT_EQ(cmds[1].sa.integ, IntegId::HmacSha2_256_128);
  EXPECT_EQ(cmds[1].sa.mode, Mode::Any);
  EXPECT_EQ(cmds[2].sa.protocol, SaProtocol::EspUdp);
  EXPECT_EQ(cmds[2].sa.src.port, 4500);
  EXPECT_EQ(cmds[2].sa.dst.port, 4501);
  EXPECT_EQ(cmds[2].sa.encr, EncrId::ChaCha20Poly1305);
  EXPECT_EQ(cmds[2].sa.encr_key_bits, 0u);
  EXPECT_EQ(cmds[3].sa.encr, EncrId::AesCtr);
  EXPECT_EQ(cmds[3].sa.encr_key_bits, 128u);
  EXPECT_EQ(cmds[3].sa.integ, IntegId::AesXcbc96);
  EXPECT_EQ(cmds[4].sa.encr, EncrId::Null);
  EXPECT_TRUE(cmds[4].sa.encr_key.empty());
}

TEST(Setkey, OtherSaCommands) {
  auto cmds =
      ok("get 192.0.2.1 192.0.2.2 esp 0x1000;\ndelete 192.0.2.1 192.0.2.2 esp 0x1001;\n"
         "deleteall 192.0.2.1 192.0.2.2 esp;\nflush esp;\nflush;\n;;\nspdflush;");
  ASSERT_EQ(cmds.size(), 6u);
  EXPECT_EQ(cmds[0].op, Op::Get);
  EXPECT_EQ(cmds[0].sa.spi, 0x1000u);
  EXPECT_EQ(cmds[1].op, Op::Delete);
  EXPECT_EQ(cmds[2].op, Op::DeleteAll);
  EXPECT_EQ(cmds[2].sa.dst.address, ip("192.0.2.2"));
  EXPECT_EQ(cmds[3].op, Op::Flush);
  EXPECT_EQ(cmds[4].op, Op::Flush);
  EXPECT_EQ(cmds[5].op, Op::SpdFlush);
  EXPECT_EQ(cmds[5].where.line, 7);
}

TEST(Setkey, PolicyForms) {
  auto cmds = ok(
      "spdadd 10.0.0.0/24[any] 10.1.0.0/16[80] tcp -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/require;\n"
      "spdadd 10.1.0.0/16[80] 10.0.0.0/24 tcp -P in prio 100 ipsec esp/tunnel/192.0.2.2-192.0.2.1/unique:5;\n"
      "spdadd 0.0.0.0/0 0.0.0.0/0 udp -P out prio def + 10 none;\n"
      "spdadd ::/0 ::/0 icmp6 135,0 -P out prio high none;\n"
      "spdadd ::/0 ::/0 icmp6 -P in prio low -5 discard;\n"
      "spdadd 192.0.2.0/24 198.51.100.0/24 any -P fwd discard;\n"
      "spdadd 192.0.2.1 192.0.2.2 47 -P out ipsec esp/transport//use;\n"
      "spddelete 10.0.0.0/24[any] 10.1.0.0/16[80] tcp -P out;\n"
      "spddelete 192.0.2.1 192.0.2.2 any -P out ipsec esp/transport//default;\n");
  ASSERT_EQ(cmds.size(), 9u);
  const PolicySpec& p0 = cmds[0].policy;
  EXPECT_EQ(p0.src.address, ip("10.0.0.0"));
  EXPECT_EQ(p0.src.prefix_len, 24);
  EXPECT_FALSE(p0.src.port);
  EXPECT_EQ(p0.dst.port, 80);
  EXPECT_EQ(p0.upper_protocol, 6);
  EXPECT_EQ(p0.direction, Direction::Out);
  EXPECT_FALSE(p0.priority);
  EXPECT_EQ(p0.requests[0].tunnel_src, ip("192.0.2.1"));
  EXPECT_EQ(cmds[1].policy.priority, 100);
  EXPECT_EQ(cmds[1].policy.requests[0].unique_id, 5u);
  EXPECT_EQ(cmds[2].policy.priority, (int64_t{1} << 31) + 10);
  EXPECT_EQ(cmds[2].policy.action, PolicyAction::None);
  EXPECT_EQ(cmds[3].policy.upper_protocol, 58);
  EXPECT_EQ(cmds[3].policy.type, 135);
  EXPECT_EQ(cmds[3].policy.code, 0);
  EXPECT_EQ(cmds[3].policy.priority, (int64_t{1} << 30));
  EXPECT_EQ(cmds[4].policy.priority, (int64_t{1} << 31) + (int64_t{1} << 30) - 5);
  EXPECT_EQ(cmds[4].policy.action, PolicyAction::Discard);
  EXPECT_FALSE(cmds[5].policy.upper_protocol);
  EXPECT_EQ(cmds[5].policy.direction, Direction::Fwd);
  EXPECT_EQ(cmds[6].policy.requests[0].level, Level::Use);
  EXPECT_EQ(cmds[7].op, Op::SpdDelete);
  EXPECT_TRUE(cmds[7].policy.requests.empty());
  EXPECT_EQ(cmds[8].op, Op::SpdDelete);
  EXPECT_EQ(cmds[8].policy.requests[0].level, Level::Default);
}

struct BadSetkey {
  const char* text;
  const char* message;
};

class SetkeyErrors : public ::testing::TestWithParam<BadSetkey> {};

TEST_P(SetkeyErrors, NamesFileLineAndToken) {
  auto r = parse(GetParam().text, "bad.setkey");
  ASSERT_FALSE(r) << GetParam().text;
  EXPECT_EQ(r.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, SetkeyErrors,
    ::testing::Values(
        BadSetkey{"flush;\nfrobnicate 1 2;\n", "bad.setkey:2: 'frobnicate': unknown command"},
        BadSetkey{"spdflush\n", "bad.setkey:1: 'spdflush': missing ';' at the end of the statement"},
        BadSetkey{"add 192.0.2.1 \"unterminated;\n", "bad.setkey:1: unterminated quoted string"},
        BadSetkey{"add 192.0.2.300 192.0.2.2 esp 0x1000 -E null;",
                  "bad.setkey:1: '192.0.2.300': invalid address"},
        BadSetkey{"add 192.0.2.1/24 192.0.2.2 esp 0x1000 -E null;",
                  "bad.setkey:1: '192.0.2.1/24': an SA takes a single address, not a prefix"},
        BadSetkey{"add 192.0.2.1 2001:db8::1 esp 0x1000 -E null;",
                  "bad.setkey:1: '2001:db8::1': source and destination differ in address family"},
        BadSetkey{"add -6 192.0.2.1 192.0.2.2 esp 0x1000 -E null;",
                  "bad.setkey:1: '192.0.2.1': address family does not match -4/-6"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 ah 0x1000 -A hmac-sha1 0x00;",
                  "bad.setkey:1: 'ah': protocol not supported (only esp and esp-udp)"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esb 0x1000;",
                  "bad.setkey:1: 'esb': unknown protocol (esp or esp-udp)"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 255 -E null;",
                  "bad.setkey:1: '255': SPI values 0..255 are reserved"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1zz -E null;", "bad.setkey:1: '0x1zz': invalid SPI"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp;", "bad.setkey:1: 'esp': SPI expected after this"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -m beet -E null;",
                  "bad.setkey:1: 'beet': invalid mode (transport, tunnel or any)"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -u x -E null;", "bad.setkey:1: 'x': invalid reqid"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000\n  -E twofish-cbc 0x00;",
                  "bad.setkey:2: 'twofish-cbc': encryption algorithm not supported by Portunus"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -E aes-foo 0x00;",
                  "bad.setkey:1: 'aes-foo': unknown encryption algorithm"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -E aes-cbc 0x0011 -A hmac-sha1 0x00;",
                  "bad.setkey:1: '0x0011': key for aes-cbc must be 16/24/32 octets, not 2"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -E aes-cbc 0x001 -A hmac-sha1 0x00;",
                  "bad.setkey:1: '0x001': invalid hex key"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -E aes-cbc key16byteslong!! -A hmac-sha1 0x00;",
                  "bad.setkey:1: 'key16byteslong!!': a key is 0x-hex or a \"quoted string\""},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -E aes-cbc \"0123456789abcdef\";",
                  "bad.setkey:1: '0123456789abcdef': -A algorithm key (a non-AEAD cipher needs integrity "
                  "protection) "
                  "expected after this"},
        BadSetkey{
            "add 192.0.2.1 192.0.2.2 esp 0x1000 -E aes-gcm-16 \"0123456789abcdefsalt\" "
            "-A hmac-sha1 \"01234567890123456789\";",
            "bad.setkey:1: '01234567890123456789': an AEAD algorithm takes no -A authentication algorithm"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -E 3des-cbc \"012345678901234567890123\" -A hmac-md5 "
                  "\"0123456789abcdef\";",
                  "bad.setkey:1: 'hmac-md5': legacy algorithm (RFC 8247 MUST NOT); it loads only with the "
                  "legacy-algorithms switch"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -E 3des-cbc \"012345678901234567890123\" -A hmac-sha1 "
                  "\"short\";",
                  "bad.setkey:1: 'short': key for hmac-sha1 must be 20 octets, not 5"},
        BadSetkey{
            "add 192.0.2.1 192.0.2.2 esp 0x1000 -u 1;",
            "bad.setkey:1: '1': -E algorithm key (ESP needs an encryption algorithm) expected after this"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -E null -C deflate;",
                  "bad.setkey:1: '-C': IPComp is not supported"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -x 1 -E null;",
                  "bad.setkey:1: '-x': unknown option for add"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp-udp 0x1000 -E null;",
                  "bad.setkey:1: 'add': esp-udp needs both ports: src[port] dst[port]"},
        BadSetkey{"add 192.0.2.1 192.0.2.2 esp 0x1000 -lh 10 -ls 20 -E null;",
                  "bad.setkey:1: 'add': soft lifetime (-ls) exceeds hard lifetime (-lh)"},
        BadSetkey{"add 192.0.2.1[70000] 192.0.2.2 esp 0x1000 -E null;",
                  "bad.setkey:1: '192.0.2.1[70000]': invalid port '70000'"},
        BadSetkey{"get 192.0.2.1 192.0.2.2 esp 0x1000 extra;", "bad.setkey:1: 'extra': unexpected token"},
        BadSetkey{"dump esp;",
                  "bad.setkey:1: 'dump': 'dump' is a query, not something a configuration file can do"},
        BadSetkey{"spdadd 10.0.0.0/33 10.1.0.0/16 any -P out none;",
                  "bad.setkey:1: '10.0.0.0/33': prefix length longer than the address"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 frob -P out none;",
                  "bad.setkey:1: 'frob': unknown upper-layer protocol"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -X out none;", "bad.setkey:1: '-X': expected -P"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P sideways none;",
                  "bad.setkey:1: 'sideways': invalid direction (in, out or fwd)"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out accept;",
                  "bad.setkey:1: 'accept': invalid policy (discard, none or ipsec)"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out ipsec;",
                  "bad.setkey:1: 'ipsec': ipsec needs a request such as esp/transport//require"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out ipsec esp/transport/require;",
                  "bad.setkey:1: 'esp/transport/require': a request is protocol/mode/src-dst/level"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out ipsec ah/transport//require;",
                  "bad.setkey:1: 'ah/transport//require': protocol 'ah' is not supported"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out ipsec esp/tunnel//require;",
                  "bad.setkey:1: 'esp/tunnel//require': tunnel mode needs the endpoints as src-dst"},
        BadSetkey{
            "spdadd 10.0.0.0/24 10.1.0.0/16 any -P out ipsec esp/tunnel/192.0.2.1-2001:db8::1/require;",
            "bad.setkey:1: 'esp/tunnel/192.0.2.1-2001:db8::1/require': tunnel endpoints differ in address "
            "family"},
        BadSetkey{
            "spdadd 10.0.0.0/24 10.1.0.0/16 any -P out ipsec esp/transport/192.0.2.1-192.0.2.2/require;",
            "bad.setkey:1: 'esp/transport/192.0.2.1-192.0.2.2/require': transport mode takes no endpoints "
            "(esp/transport//level)"},
        BadSetkey{
            "spdadd 10.0.0.0/24 10.1.0.0/16 any -P out ipsec esp/transport//always;",
            "bad.setkey:1: 'esp/transport//always': invalid level 'always' (default, use, require, unique or "
            "unique:N)"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out ipsec esp/transport//unique:0;",
                  "bad.setkey:1: 'esp/transport//unique:0': invalid unique id in 'unique:0'"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 tcp 8,0 -P out none;",
                  "bad.setkey:1: '8,0': type,code is only for icmp, icmp6 and the Mobility Header (135)"},
        BadSetkey{"spdadd 10.0.0.0/24[80] 10.1.0.0/16 icmp -P out none;",
                  "bad.setkey:1: 'icmp': ports are meaningless for this protocol; use type,code"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out prio urgent none;",
                  "bad.setkey:1: 'urgent': invalid priority (a number, def, low or high)"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out prio high - 2000000000 none;",
                  "bad.setkey:1: 'high': priority out of range"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any label \"x\" -P out none;",
                  "bad.setkey:1: 'label': security labels are not supported"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any -P out entrust;",
                  "bad.setkey:1: 'entrust': socket policies are not supported"},
        BadSetkey{"spdadd 10.0.0.0/24 10.1.0.0/16 any\n# comment\n-P\n;",
                  "bad.setkey:3: '-P': direction expected after this"}));

TEST(Setkey, MissingFile) {
  auto r = parse_file("/nonexistent/x.setkey");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "/nonexistent/x.setkey: cannot open");
}

}  // namespace
}  // namespace portunus::config::setkey
