#include "portunus/config/setkey.h"

#include <fstream>
#include <sstream>

#include "portunus/config/traffic_selector.h"
#include "portunus/config/values.h"

namespace portunus::config::setkey {

using crypto::EncrId;
using crypto::IntegId;

namespace {

struct Token {
  std::string text;
  bool quoted = false;
  int line = 0;
};

// Splits into statements (each ends with ';'). Quoted strings may hold anything but '"'.
class Lexer {
 public:
  Lexer(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  // The next statement's tokens; an empty vector with ok at end of input.
  Result<std::vector<Token>> next_statement(bool& at_end) {
    std::vector<Token> out;
    at_end = false;
    for (;;) {
      skip_space();
      if (pos_ >= text_.size()) {
        if (!out.empty()) {
          return make_error(file_ + ":" + std::to_string(out.back().line) + ": '" + out.back().text +
                            "': missing ';' at the end of the statement");
        }
        at_end = true;
        return out;
      }
      char c = text_[pos_];
      if (c == ';') {
        ++pos_;
        if (out.empty()) continue;  // empty statement
        return out;
      }
      Token t;
      t.line = line_;
      if (c == '"') {
        ++pos_;
        size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != '"') {
          if (text_[pos_] == '\n') ++line_;
          ++pos_;
        }
        if (pos_ >= text_.size()) {
          return make_error(file_ + ":" + std::to_string(t.line) + ": unterminated quoted string");
        }
        t.text = std::string(text_.substr(start, pos_ - start));
        t.quoted = true;
        ++pos_;
      } else {
        size_t start = pos_;
        while (pos_ < text_.size() && !is_space(text_[pos_]) && text_[pos_] != ';' && text_[pos_] != '"' &&
               text_[pos_] != '#') {
          ++pos_;
        }
        t.text = std::string(text_.substr(start, pos_ - start));
      }
      out.push_back(std::move(t));
    }
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  void skip_space() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (is_space(c)) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string_view text_;
  std::string file_;
  size_t pos_ = 0;
  int line_ = 1;
};

struct EncrAlgorithm {
  const char* name;
  EncrId id;
  bool aead;
  bool legacy;
  // Allowed key lengths in octets including salt/nonce; salt octets are not key bits.
  std::vector<unsigned> key_octets;
  unsigned salt_octets;
};

const std::vector<EncrAlgorithm>& encr_algorithms() {
  static const std::vector<EncrAlgorithm> table = {
      {"des-cbc", EncrId::Des, false, true, {8}, 0},
      {"3des-cbc", EncrId::TripleDes, false, false, {24}, 0},
      {"aes-cbc", EncrId::AesCbc, false, false, {16, 24, 32}, 0},
      {"rijndael-cbc", EncrId::AesCbc, false, false, {16, 24, 32}, 0},
      // RFC 3686: key | 4-octet nonce.
      {"aes-ctr", EncrId::AesCtr, false, false, {20, 28, 36}, 4},
      // RFC 4106: key | 4-octet salt. Names as Linux' setkey and ip-xfrm users write them.
      {"aes-gcm-16", EncrId::AesGcm16, true, false, {20, 28, 36}, 4},
      {"aes-gcm-12", EncrId::AesGcm12, true, false, {20, 28, 36}, 4},
      {"aes-gcm-8", EncrId::AesGcm8, true, false, {20, 28, 36}, 4},
      {"rfc4106(gcm(aes))", EncrId::AesGcm16, true, false, {20, 28, 36}, 4},
      // RFC 7634: 256-bit key | 4-octet salt. setkey has no name for it; this is Linux's.
      {"chacha20-poly1305", EncrId::ChaCha20Poly1305, true, false, {36}, 4},
      {"rfc7539esp(chacha20,poly1305)", EncrId::ChaCha20Poly1305, true, false, {36}, 4},
      {"null", EncrId::Null, false, false, {0}, 0},
  };
  return table;
}

struct IntegAlgorithm {
  const char* name;
  IntegId id;
  bool legacy;
  unsigned key_octets;
};

constexpr IntegAlgorithm kIntegAlgorithms[] = {
    {"hmac-md5", IntegId::HmacMd5_96, true, 16},
    {"hmac-sha1", IntegId::HmacSha1_96, false, 20},
    {"hmac-sha256", IntegId::HmacSha2_256_128, false, 32},
    {"hmac-sha2-256", IntegId::HmacSha2_256_128, false, 32},
    {"hmac-sha384", IntegId::HmacSha2_384_192, false, 48},
    {"hmac-sha2-384", IntegId::HmacSha2_384_192, false, 48},
    {"hmac-sha512", IntegId::HmacSha2_512_256, false, 64},
    {"hmac-sha2-512", IntegId::HmacSha2_512_256, false, 64},
    {"aes-xcbc-mac", IntegId::AesXcbc96, false, 16},
    {"aes-cmac", IntegId::AesCmac96, false, 16},
    {"null", IntegId::None, false, 0},
};

// Names setkey knows for algorithms Portunus does not implement.
bool known_unsupported_algorithm(std::string_view name) {
  static constexpr std::string_view names[] = {
      "des-deriv",    "des-32iv", "blowfish-cbc", "cast128-cbc", "twofish-cbc",
      "camellia-cbc", "simple",   "keyed-md5",    "keyed-sha1",  "hmac-ripemd160",
      "tcp-md5",      "aes-gmac", "deflate",      "lzs",         "oui"};
  for (auto n : names) {
    if (n == name) return true;
  }
  return false;
}

class Parser {
 public:
  Parser(std::string file, const ParseOptions& options) : file_(std::move(file)), options_(options) {}

  Result<Command> statement(const std::vector<Token>& tokens) {
    toks_ = &tokens;
    i_ = 0;
    Command cmd;
    cmd.where = Location{file_, tokens.front().line};
    const Token& head = tokens.front();
    ++i_;
    const std::string& op = head.text;
    Result<void> r;
    if (op == "add") {
      cmd.op = Op::Add;
      r = sa_statement(cmd, true, true);
    } else if (op == "get" || op == "delete") {
      cmd.op = op == "get" ? Op::Get : Op::Delete;
      r = sa_statement(cmd, true, false);
    } else if (op == "deleteall") {
      cmd.op = Op::DeleteAll;
      r = sa_statement(cmd, false, false);
    } else if (op == "flush") {
      cmd.op = Op::Flush;
      if (i_ < tokens.size()) {
        auto p = sa_protocol();
        if (!p) return Unexpected<Error>(p.error());
        cmd.sa.protocol = *p;
      }
    } else if (op == "spdflush") {
      cmd.op = Op::SpdFlush;
    } else if (op == "spdadd" || op == "spddelete") {
      cmd.op = op == "spdadd" ? Op::SpdAdd : Op::SpdDelete;
      r = spd_statement(cmd, op == "spdadd");
    } else if (op == "dump" || op == "spddump") {
      return fail(head, "'" + op + "' is a query, not something a configuration file can do");
    } else {
      return fail(head, "unknown command");
    }
    if (!r) return Unexpected<Error>(r.error());
    if (i_ < tokens.size()) return fail((*toks_)[i_], "unexpected token");
    return cmd;
  }

 private:
  Unexpected<Error> fail(const Token& t, const std::string& message) const {
    return make_error(file_ + ":" + std::to_string(t.line) + ": '" + t.text + "': " + message);
  }
  Unexpected<Error> fail_end(const std::string& what) const {
    const Token& last = toks_->back();
    return make_error(file_ + ":" + std::to_string(last.line) + ": '" + last.text + "': " + what +
                      " expected after this");
  }
  const Token* peek() const { return i_ < toks_->size() ? &(*toks_)[i_] : nullptr; }
  Result<const Token*> take(const std::string& what) {
    if (i_ >= toks_->size()) return fail_end(what);
    return &(*toks_)[i_++];
  }

  // -4, -6, -n (and combinations like -46n is not valid setkey; each is its own token).
  Result<std::optional<IpFamily>> family_options() {
    std::optional<IpFamily> family;
    while (const Token* t = peek()) {
      if (t->text == "-4")
        family = IpFamily::V4;
      else if (t->text == "-6")
        family = IpFamily::V6;
      else if (t->text == "-n") {
      } else {
        break;
      }
      ++i_;
    }
    return family;
  }

  Result<Endpoint> endpoint(const Token& t, bool allow_prefix, std::optional<IpFamily> family) {
    std::string_view s = t.text;
    Endpoint e;
    if (auto open = s.find('['); open != std::string_view::npos) {
      if (s.back() != ']') return fail(t, "missing ']' after the port");
      std::string_view port = s.substr(open + 1, s.size() - open - 2);
      if (port != "any" && port != "*") {
        auto n = parse_uint(port, 65535);
        if (!n) return fail(t, "invalid port '" + std::string(port) + "'");
        e.port = static_cast<uint16_t>(*n);
      }
      s = s.substr(0, open);
    }
    std::optional<unsigned> prefix;
    if (auto slash = s.find('/'); slash != std::string_view::npos) {
      if (!allow_prefix) return fail(t, "an SA takes a single address, not a prefix");
      auto n = parse_uint(s.substr(slash + 1), 128);
      if (!n) return fail(t, "invalid prefix length");
      prefix = static_cast<unsigned>(*n);
      s = s.substr(0, slash);
    }
    auto a = IpAddress::parse(s);
    if (!a) return fail(t, "invalid address");
    unsigned bits = a->is_v4() ? 32 : 128;
    if (prefix && *prefix > bits) return fail(t, "prefix length longer than the address");
    if (family && a->family() != *family) return fail(t, "address family does not match -4/-6");
    e.prefix_len = static_cast<uint8_t>(prefix.value_or(bits));
    e.address = a->network(e.prefix_len);
    return e;
  }

  Result<SaProtocol> sa_protocol() {
    auto t = take("protocol (esp)");
    if (!t) return Unexpected<Error>(t.error());
    const std::string& p = (*t)->text;
    if (p == "esp") return SaProtocol::Esp;
    if (p == "esp-udp") return SaProtocol::EspUdp;
    if (p == "ah" || p == "ah-old" || p == "esp-old" || p == "ipcomp" || p == "tcp") {
      return fail(**t, "protocol not supported (only esp and esp-udp)");
    }
    return fail(**t, "unknown protocol (esp or esp-udp)");
  }

  Result<uint64_t> number(const std::string& what, uint64_t max) {
    auto t = take(what);
    if (!t) return Unexpected<Error>(t.error());
    auto n = parse_uint((*t)->text, max);
    if (!n) return fail(**t, "invalid " + what);
    return *n;
  }

  Result<SecureBytes> key(const Token& alg_token, const std::string& what) {
    auto t = take(what);
    if (!t) return Unexpected<Error>(t.error());
    const Token& k = **t;
    if (k.quoted) return SecureBytes(as_bytes(k.text));
    if (k.text.size() > 2 && k.text[0] == '0' && (k.text[1] == 'x' || k.text[1] == 'X')) {
      auto raw = hex_decode(std::string_view(k.text).substr(2));
      if (!raw) return fail(k, "invalid hex key");
      SecureBytes out{BytesView(*raw)};
      std::fill(raw->begin(), raw->end(), 0);
      return out;
    }
    (void)alg_token;
    return fail(k, "a key is 0x-hex or a \"quoted string\"");
  }

  Result<void> encr_algorithm(SaSpec& sa) {
    auto t = take("encryption algorithm");
    if (!t) return Unexpected<Error>(t.error());
    const Token& alg = **t;
    const EncrAlgorithm* found = nullptr;
    for (const auto& a : encr_algorithms()) {
      if (alg.text == a.name) found = &a;
    }
    if (!found) {
      if (known_unsupported_algorithm(alg.text))
        return fail(alg, "encryption algorithm not supported by Portunus");
      return fail(alg, "unknown encryption algorithm");
    }
    if (found->legacy && !options_.allow_legacy_algorithms) {
      return fail(alg,
                  "legacy algorithm (RFC 8247 MUST NOT); it loads only with the legacy-algorithms switch");
    }
    SecureBytes k;
    // null takes no key in setkey; accept an explicit empty one too.
    const Token* next = peek();
    if (found->id != EncrId::Null || (next && (next->quoted || next->text.rfind("0x", 0) == 0))) {
      auto kr = key(alg, "key");
      if (!kr) return Unexpected<Error>(kr.error());
      k = std::move(*kr);
    }
    bool ok = false;
    for (unsigned n : found->key_octets) ok = ok || k.size() == n;
    if (!ok) {
      std::string lens;
      for (unsigned n : found->key_octets) lens += (lens.empty() ? "" : "/") + std::to_string(n);
      return fail((*toks_)[i_ - 1], "key for " + std::string(found->name) + " must be " + lens +
                                        " octets, not " + std::to_string(k.size()));
    }
    sa.encr = found->id;
    bool variable = found->key_octets.size() > 1;
    sa.encr_key_bits = variable ? static_cast<unsigned>((k.size() - found->salt_octets) * 8) : 0;
    sa.encr_key = std::move(k);
    aead_ = found->aead;
    return {};
  }

  Result<void> integ_algorithm(SaSpec& sa) {
    auto t = take("authentication algorithm");
    if (!t) return Unexpected<Error>(t.error());
    const Token& alg = **t;
    const IntegAlgorithm* found = nullptr;
    for (const auto& a : kIntegAlgorithms) {
      if (alg.text == a.name) found = &a;
    }
    if (!found) {
      if (known_unsupported_algorithm(alg.text)) {
        return fail(alg, "authentication algorithm not supported by Portunus");
      }
      return fail(alg, "unknown authentication algorithm");
    }
    if (found->legacy && !options_.allow_legacy_algorithms) {
      return fail(alg,
                  "legacy algorithm (RFC 8247 MUST NOT); it loads only with the legacy-algorithms switch");
    }
    SecureBytes k;
    const Token* next = peek();
    if (found->id != IntegId::None || (next && (next->quoted || next->text.rfind("0x", 0) == 0))) {
      auto kr = key(alg, "key");
      if (!kr) return Unexpected<Error>(kr.error());
      k = std::move(*kr);
    }
    if (k.size() != found->key_octets) {
      return fail((*toks_)[i_ - 1], "key for " + std::string(found->name) + " must be " +
                                        std::to_string(found->key_octets) + " octets, not " +
                                        std::to_string(k.size()));
    }
    sa.integ = found->id;
    sa.integ_key = std::move(k);
    return {};
  }

  Result<void> sa_statement(Command& cmd, bool with_spi, bool with_params) {
    auto family = family_options();
    if (!family) return Unexpected<Error>(family.error());
    SaSpec& sa = cmd.sa;
    for (Endpoint* e : {&sa.src, &sa.dst}) {
      auto t = take(e == &sa.src ? "source address" : "destination address");
      if (!t) return Unexpected<Error>(t.error());
      auto ep = endpoint(**t, false, *family);
      if (!ep) return Unexpected<Error>(ep.error());
      *e = *ep;
    }
    if (sa.src.address.family() != sa.dst.address.family()) {
      return fail((*toks_)[i_ - 1], "source and destination differ in address family");
    }
    auto proto = sa_protocol();
    if (!proto) return Unexpected<Error>(proto.error());
    sa.protocol = *proto;
    if (!with_spi) return {};
    auto spi_tok = peek();
    auto spi = number("SPI", UINT32_MAX);
    if (!spi) return Unexpected<Error>(spi.error());
    // RFC 4303 2.1: 1..255 are reserved by IANA, 0 is never sent.
    if (*spi < 256) return fail(*spi_tok, "SPI values 0..255 are reserved");
    sa.spi = static_cast<uint32_t>(*spi);
    if (!with_params) return {};
    aead_ = false;
    bool have_auth = false;
    while (const Token* t = peek()) {
      const Token& opt = *t;
      ++i_;
      Result<uint64_t> n = uint64_t{0};
      if (opt.text == "-m") {
        auto m = take("mode");
        if (!m) return Unexpected<Error>(m.error());
        const std::string& mode = (*m)->text;
        if (mode == "transport")
          sa.mode = Mode::Transport;
        else if (mode == "tunnel")
          sa.mode = Mode::Tunnel;
        else if (mode == "any")
          sa.mode = Mode::Any;
        else
          return fail(**m, "invalid mode (transport, tunnel or any)");
      } else if (opt.text == "-u") {
        n = number("reqid", UINT32_MAX);
        if (!n) return Unexpected<Error>(n.error());
        sa.reqid = static_cast<uint32_t>(*n);
      } else if (opt.text == "-r") {
        n = number("replay window size", UINT32_MAX);
        if (!n) return Unexpected<Error>(n.error());
        sa.replay_window = static_cast<uint32_t>(*n);
      } else if (opt.text == "-lh" || opt.text == "-ls") {
        n = number("lifetime in seconds", UINT64_MAX);
        if (!n) return Unexpected<Error>(n.error());
        (opt.text == "-lh" ? sa.hard_seconds : sa.soft_seconds) = *n;
      } else if (opt.text == "-bh" || opt.text == "-bs") {
        n = number("lifetime in bytes", UINT64_MAX);
        if (!n) return Unexpected<Error>(n.error());
        (opt.text == "-bh" ? sa.hard_bytes : sa.soft_bytes) = *n;
      } else if (opt.text == "-E") {
        if (sa.encr) return fail(opt, "a second -E");
        auto r = encr_algorithm(sa);
        if (!r) return r;
      } else if (opt.text == "-A") {
        if (have_auth) return fail(opt, "a second -A");
        auto r = integ_algorithm(sa);
        if (!r) return r;
        have_auth = true;
      } else if (opt.text == "-C") {
        return fail(opt, "IPComp is not supported");
      } else if (opt.text == "-f") {
        auto f = take("padding or sequence option");
        if (!f) return Unexpected<Error>(f.error());
        return fail(**f, "option -f is not supported");
      } else {
        return fail(opt, "unknown option for add");
      }
    }
    if (!sa.encr) return fail_end("-E algorithm key (ESP needs an encryption algorithm)");
    if (aead_ && have_auth && sa.integ != IntegId::None) {
      return fail(toks_->back(), "an AEAD algorithm takes no -A authentication algorithm");
    }
    if (!aead_ && (!sa.integ || *sa.integ == IntegId::None) && *sa.encr != EncrId::Null) {
      // RFC 4303 3.2 and RFC 8221: confidentiality without integrity is not offered.
      return fail_end("-A algorithm key (a non-AEAD cipher needs integrity protection)");
    }
    if (sa.protocol == SaProtocol::EspUdp && (!sa.src.port || !sa.dst.port)) {
      return fail(toks_->front(), "esp-udp needs both ports: src[port] dst[port]");
    }
    if (sa.soft_seconds && sa.hard_seconds && sa.soft_seconds > sa.hard_seconds) {
      return fail(toks_->front(), "soft lifetime (-ls) exceeds hard lifetime (-lh)");
    }
    return {};
  }

  Result<void> upperspec(PolicySpec& p) {
    auto t = take("upper-layer protocol");
    if (!t) return Unexpected<Error>(t.error());
    const Token& u = **t;
    std::string name = lower(u.text);
    if (name == "any") {
      p.upper_protocol.reset();
    } else if (name == "ip4") {
      p.upper_protocol = 4;
    } else if (auto proto = ip_protocol_from_name(name)) {
      p.upper_protocol = *proto;
    } else if (auto n = parse_uint(name, 255)) {
      p.upper_protocol = static_cast<uint8_t>(*n);
    } else {
      return fail(u, "unknown upper-layer protocol");
    }
    // "type,code" for ICMP, ICMPv6 and MH (setkey: a zero code is a wildcard).
    if (const Token* tc = peek(); tc && !tc->quoted && tc->text.find(',') != std::string::npos) {
      if (!p.upper_protocol || !protocol_uses_type(*p.upper_protocol)) {
        return fail(*tc, "type,code is only for icmp, icmp6 and the Mobility Header (135)");
      }
      ++i_;
      auto comma = tc->text.find(',');
      auto type = parse_uint(std::string_view(tc->text).substr(0, comma), 255);
      auto code = parse_uint(std::string_view(tc->text).substr(comma + 1), 255);
      if (!type || !code) return fail(*tc, "invalid type,code");
      p.type = static_cast<uint8_t>(*type);
      p.code = static_cast<uint8_t>(*code);
    }
    if (p.upper_protocol && protocol_uses_type(*p.upper_protocol) && (p.src.port || p.dst.port)) {
      return fail(u, "ports are meaningless for this protocol; use type,code");
    }
    return {};
  }

  Result<void> priority(PolicySpec& p) {
    // Linux PF_KEY priorities: smaller is preferred; def = 2^31, low = def + 2^30, high = def - 2^30.
    auto t = take("priority");
    if (!t) return Unexpected<Error>(t.error());
    const Token& base = **t;
    constexpr int64_t kDef = int64_t{1} << 31;
    int64_t value;
    if (base.text == "def" || base.text == "default")
      value = kDef;
    else if (base.text == "low")
      value = kDef + (int64_t{1} << 30);
    else if (base.text == "high")
      value = kDef - (int64_t{1} << 30);
    else if (auto n = parse_uint(base.text, UINT32_MAX)) {
      p.priority = static_cast<int64_t>(*n);
      return {};
    } else {
      return fail(base, "invalid priority (a number, def, low or high)");
    }
    if (const Token* off = peek(); off && (off->text == "+" || off->text == "-")) {
      ++i_;
      auto n = number("priority offset", UINT32_MAX);
      if (!n) return Unexpected<Error>(n.error());
      value += off->text == "+" ? static_cast<int64_t>(*n) : -static_cast<int64_t>(*n);
    } else if (off && (off->text[0] == '+' || off->text[0] == '-') && off->text.size() > 1) {
      ++i_;
      auto n = parse_uint(std::string_view(off->text).substr(1), UINT32_MAX);
      if (!n) return fail(*off, "invalid priority offset");
      value += off->text[0] == '+' ? static_cast<int64_t>(*n) : -static_cast<int64_t>(*n);
    }
    if (value < 0 || value > UINT32_MAX) return fail(base, "priority out of range");
    p.priority = value;
    return {};
  }

  Result<IpsecRequest> request(const Token& t) {
    // protocol/mode/src-dst/level
    std::vector<std::string> parts;
    size_t pos = 0;
    const std::string& s = t.text;
    while (true) {
      size_t slash = s.find('/', pos);
      parts.push_back(s.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos));
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    if (parts.size() != 4) return fail(t, "a request is protocol/mode/src-dst/level");
    IpsecRequest r;
    if (parts[0] == "ah" || parts[0] == "ipcomp")
      return fail(t, "protocol '" + parts[0] + "' is not supported");
    if (parts[0] != "esp") return fail(t, "unknown protocol '" + parts[0] + "' (esp)");
    if (parts[1] == "transport")
      r.mode = Mode::Transport;
    else if (parts[1] == "tunnel")
      r.mode = Mode::Tunnel;
    else
      return fail(t, "invalid mode '" + parts[1] + "' (transport or tunnel)");
    if (r.mode == Mode::Tunnel) {
      auto dash = parts[2].find('-');
      if (dash == std::string::npos) return fail(t, "tunnel mode needs the endpoints as src-dst");
      auto a = IpAddress::parse(parts[2].substr(0, dash));
      auto b = IpAddress::parse(parts[2].substr(dash + 1));
      if (!a || !b) return fail(t, "invalid tunnel endpoints '" + parts[2] + "'");
      if (a->family() != b->family()) return fail(t, "tunnel endpoints differ in address family");
      r.tunnel_src = *a;
      r.tunnel_dst = *b;
    } else if (!parts[2].empty()) {
      return fail(t, "transport mode takes no endpoints (esp/transport//level)");
    }
    const std::string& level = parts[3];
    if (level == "default")
      r.level = Level::Default;
    else if (level == "use")
      r.level = Level::Use;
    else if (level == "require")
      r.level = Level::Require;
    else if (level == "unique")
      r.level = Level::Unique;
    else if (level.rfind("unique:", 0) == 0) {
      auto n = parse_uint(std::string_view(level).substr(7), UINT32_MAX);
      if (!n || *n == 0) return fail(t, "invalid unique id in '" + level + "'");
      r.level = Level::Unique;
      r.unique_id = static_cast<uint32_t>(*n);
    } else {
      return fail(t, "invalid level '" + level + "' (default, use, require, unique or unique:N)");
    }
    return r;
  }

  Result<void> spd_statement(Command& cmd, bool full) {
    auto family = family_options();
    if (!family) return Unexpected<Error>(family.error());
    PolicySpec& p = cmd.policy;
    for (Endpoint* e : {&p.src, &p.dst}) {
      auto t = take(e == &p.src ? "source range" : "destination range");
      if (!t) return Unexpected<Error>(t.error());
      auto ep = endpoint(**t, true, *family);
      if (!ep) return Unexpected<Error>(ep.error());
      *e = *ep;
    }
    if (p.src.address.family() != p.dst.address.family()) {
      return fail((*toks_)[i_ - 1], "source and destination differ in address family");
    }
    auto u = upperspec(p);
    if (!u) return u;
    if (const Token* l = peek(); l && l->text == "label") {
      return fail(*l, "security labels are not supported");
    }
    auto pt = take("-P direction");
    if (!pt) return Unexpected<Error>(pt.error());
    if ((*pt)->text != "-P") return fail(**pt, "expected -P");
    auto dir = take("direction");
    if (!dir) return Unexpected<Error>(dir.error());
    if ((*dir)->text == "in")
      p.direction = Direction::In;
    else if ((*dir)->text == "out")
      p.direction = Direction::Out;
    else if ((*dir)->text == "fwd")
      p.direction = Direction::Fwd;
    else
      return fail(**dir, "invalid direction (in, out or fwd)");
    if (!full && !peek()) return {};
    if (const Token* pr = peek(); pr && (pr->text == "prio" || pr->text == "priority")) {
      ++i_;
      auto r = priority(p);
      if (!r) return r;
    }
    auto act = take("discard, none or ipsec");
    if (!act) return Unexpected<Error>(act.error());
    const std::string& a = (*act)->text;
    if (a == "discard") {
      p.action = PolicyAction::Discard;
    } else if (a == "none") {
      p.action = PolicyAction::None;
    } else if (a == "ipsec") {
      p.action = PolicyAction::Ipsec;
      while (const Token* rq = peek()) {
        ++i_;
        auto r = request(*rq);
        if (!r) return Unexpected<Error>(r.error());
        p.requests.push_back(*r);
      }
      if (p.requests.empty()) return fail(**act, "ipsec needs a request such as esp/transport//require");
    } else if (a == "entrust" || a == "bypass") {
      return fail(**act, "socket policies are not supported");
    } else {
      return fail(**act, "invalid policy (discard, none or ipsec)");
    }
    return {};
  }

  std::string file_;
  ParseOptions options_;
  const std::vector<Token>* toks_ = nullptr;
  size_t i_ = 0;
  bool aead_ = false;
};

}  // namespace

Result<std::vector<Command>> parse(std::string_view text, const std::string& file_name,
                                   const ParseOptions& options) {
  Lexer lexer(text, file_name);
  Parser parser(file_name, options);
  std::vector<Command> out;
  for (;;) {
    bool at_end = false;
    auto tokens = lexer.next_statement(at_end);
    if (!tokens) return Unexpected<Error>(tokens.error());
    if (at_end) break;
    auto cmd = parser.statement(*tokens);
    if (!cmd) return Unexpected<Error>(cmd.error());
    out.push_back(std::move(*cmd));
  }
  return out;
}

Result<std::vector<Command>> parse_file(const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > 16 * 1024 * 1024) return make_error(path + ": file too large");
  return parse(text, path, options);
}

}  // namespace portunus::config::setkey
