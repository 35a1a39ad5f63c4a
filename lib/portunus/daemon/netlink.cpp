#include "portunus/daemon/netlink.h"

#include <ifaddrs.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace portunus::daemon {

std::string to_string(const Prefix& p) { return fmt::format("{}/{}", p.addr.to_string(), p.length); }

namespace {

// addr + 1; false on overflow (addr was all-ones).
bool increment(IpAddress& addr) {
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), addr.data(), addr.size());
  for (size_t i = addr.size(); i-- > 0;) {
    if (++b[i] != 0) {
      addr = addr.is_v4() ? IpAddress::v4(BytesView(b.data(), 4)) : IpAddress::v6(BytesView(b.data(), 16));
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<Prefix> range_to_prefixes(const IpAddress& start, const IpAddress& end) {
  std::vector<Prefix> out;
  if (start.family() != end.family() || end < start) return out;
  const unsigned bits = start.is_v4() ? 32 : 128;
  IpAddress cur = start;
  for (;;) {
    unsigned len = 0;
    // The shortest prefix that starts at `cur` and stays inside the range.
    while (len < bits && (cur.network(len) != cur || end < cur.broadcast(len))) ++len;
    out.push_back(Prefix{cur, len});
    IpAddress last = cur.broadcast(len);
    if (last == end || !increment(last)) break;
    cur = last;
  }
  return out;
}

std::vector<IpAddress> local_addresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      out.push_back(IpAddress::v4(BytesView(reinterpret_cast<const uint8_t*>(&sin->sin_addr), 4)));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      out.push_back(IpAddress::v6(BytesView(reinterpret_cast<const uint8_t*>(&sin6->sin6_addr), 16)));
    }
  }
  freeifaddrs(list);
  return out;
}

std::optional<IpAddress> local_address_in(const IpAddress& start, const IpAddress& end) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<IpAddress> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    std::optional<IpAddress> a;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      a = IpAddress::v4(BytesView(reinterpret_cast<const uint8_t*>(&sin->sin_addr), 4));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      a = IpAddress::v6(BytesView(reinterpret_cast<const uint8_t*>(&sin6->sin6_addr), 16));
    }
    if (a && a->family() == start.family() && !(*a < start) && !(end < *a)) found = a;
  }
  freeifaddrs(list);
  return found;
}

namespace {

// A request buffer with room for the header, the family-specific struct and a few attributes.
struct NlRequest {
  alignas(nlmsghdr) uint8_t buf[512] = {};
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf); }
  void init(uint16_t type, uint16_t flags, size_t body) {
    hdr()->nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(body));
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
  }
  template <class T>
  T* body() {
    return reinterpret_cast<T*>(NLMSG_DATA(hdr()));
  }
  void attr(uint16_t type, const void* data, size_t len) {
    size_t off = NLMSG_ALIGN(hdr()->nlmsg_len);
    auto* rta = reinterpret_cast<rtattr*>(buf + off);
    rta->rta_type = type;
    rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(rta), data, len);
    hdr()->nlmsg_len = static_cast<uint32_t>(off + RTA_ALIGN(rta->rta_len));
  }
  void u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof(v)); }
};

}  // namespace

Result<Netlink> Netlink::open() {
  Fd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return make_error(fmt::format("netlink socket: {}", std::strerror(errno)));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
    return make_error(fmt::format("netlink bind: {}", std::strerror(errno)));
  timeval tv{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  Netlink n;
  n.fd_ = std::move(fd);
  return n;
}

Result<void> Netlink::transact(void* msg, size_t len) {
  auto* hdr = static_cast<nlmsghdr*>(msg);
  hdr->nlmsg_seq = seq_++;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_.get(), msg, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0)
    return make_error(fmt::format("netlink send: {}", std::strerror(errno)));
  alignas(nlmsghdr) uint8_t reply[4096];
  for (;;) {
    ssize_t n = ::recv(fd_.get(), reply, sizeof(reply), 0);
    if (n < 0) return make_error(fmt::format("netlink receive: {}", std::strerror(errno)));
    for (auto* r = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(r, static_cast<unsigned>(n));
         r = NLMSG_NEXT(r, n)) {
      if (r->nlmsg_seq != hdr->nlmsg_seq || r->nlmsg_type != NLMSG_ERROR) continue;
      const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(r));
      if (err->error == 0) return {};
      return make_error(std::strerror(-err->error));
    }
  }
}

Result<void> Netlink::link_up(int ifindex, uint32_t mtu) {
  NlRequest req;
  req.init(RTM_NEWLINK, 0, sizeof(ifinfomsg));
  auto* ifi = req.body<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  req.u32(IFLA_MTU, mtu);
  auto r = transact(req.buf, req.hdr()->nlmsg_len);
  if (!r) return make_error("link up: " + r.error().message);
  return {};
}

Result<void> Netlink::route(bool add, const Prefix& dst, int ifindex, uint32_t table,
                            const std::optional<IpAddress>& src) {
  NlRequest req;
  req.init(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? (NLM_F_CREATE | NLM_F_REPLACE) : 0, sizeof(rtmsg));
  auto* rt = req.body<rtmsg>();
  rt->rtm_family = dst.addr.is_v4() ? AF_INET : AF_INET6;
  rt->rtm_dst_len = static_cast<uint8_t>(dst.length);
  rt->rtm_table = RT_TABLE_UNSPEC;
  rt->rtm_protocol = RTPROT_STATIC;
  rt->rtm_scope = RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  req.attr(RTA_DST, dst.addr.data(), dst.addr.size());
  req.u32(RTA_TABLE, table);
  req.u32(RTA_OIF, static_cast<uint32_t>(ifindex));
  if (src && src->family() == dst.addr.family()) req.attr(RTA_PREFSRC, src->data(), src->size());
  auto r = transact(req.buf, req.hdr()->nlmsg_len);
  if (!r)
    return make_error(
        fmt::format("{} route {}: {}", add ? "add" : "delete", to_string(dst), r.error().message));
  return {};
}

Result<void> Netlink::rule(bool add, IpFamily family, uint32_t fwmark, uint32_t table, uint32_t priority) {
  NlRequest req;
  req.init(add ? RTM_NEWRULE : RTM_DELRULE, add ? (NLM_F_CREATE | NLM_F_EXCL) : 0, sizeof(fib_rule_hdr));
  auto* fr = req.body<fib_rule_hdr>();
  fr->family = family == IpFamily::V4 ? AF_INET : AF_INET6;
  fr->action = FR_ACT_TO_TBL;
  fr->table = RT_TABLE_UNSPEC;
  fr->flags = FIB_RULE_INVERT;
  req.u32(FRA_TABLE, table);
  req.u32(FRA_PRIORITY, priority);
  req.u32(FRA_FWMARK, fwmark);
  req.u32(FRA_FWMASK, 0xffffffff);
  auto r = transact(req.buf, req.hdr()->nlmsg_len);
  if (!r) {
    // A rule left by a crashed earlier run is what we want anyway.
    if (add && r.error().message == std::strerror(EEXIST)) return {};
    return make_error(fmt::format("{} rule: {}", add ? "add" : "delete", r.error().message));
  }
  return {};
}

}  // namespace portunus::daemon
