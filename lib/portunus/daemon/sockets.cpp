#include "portunus/daemon/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace portunus::daemon {

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string to_string(const SockAddr& a) { return fmt::format("{}[{}]", a.addr.to_string(), a.port); }

namespace {

std::string errno_text(const char* what) { return fmt::format("{}: {}", what, std::strerror(errno)); }

socklen_t to_sockaddr(const SockAddr& a, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  if (a.addr.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(a.port);
    std::memcpy(&sin->sin_addr, a.addr.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(a.port);
  std::memcpy(&sin6->sin6_addr, a.addr.data(), 16);
  return sizeof(sockaddr_in6);
}

SockAddr from_sockaddr(const sockaddr_storage& ss) {
  SockAddr out;
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    out.addr = IpAddress::v4(BytesView(reinterpret_cast<const uint8_t*>(&sin->sin_addr), 4));
    out.port = ntohs(sin->sin_port);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    out.addr = IpAddress::v6(BytesView(reinterpret_cast<const uint8_t*>(&sin6->sin6_addr), 16));
    out.port = ntohs(sin6->sin6_port);
  }
  return out;
}

Result<Fd> make_socket(int domain, int type, int proto, uint32_t fwmark) {
  Fd fd(::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto));
  if (!fd.valid()) return make_error(errno_text("socket"));
  if (fwmark != 0 && setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &fwmark, sizeof(fwmark)) != 0)
    return make_error(errno_text("setsockopt(SO_MARK)"));
  // Bursts of ESP (a TCP window at once) overflow the default receive buffer and the kernel
  // drops silently; as root we may exceed rmem_max (FORCE), otherwise take what we get.
  int buf = 4 << 20;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  if (setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0)
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  int on = 1;
  if (domain == AF_INET) {
    if (setsockopt(fd.get(), IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) != 0)
      return make_error(errno_text("setsockopt(IP_PKTINFO)"));
  } else {
    if (setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) != 0)
      return make_error(errno_text("setsockopt(IPV6_RECVPKTINFO)"));
    // One socket per family keeps source-address selection simple and explicit (raw
    // sockets are per family anyway and refuse the option).
    if (type == SOCK_DGRAM && setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0)
      return make_error(errno_text("setsockopt(IPV6_V6ONLY)"));
  }
  return fd;
}

// Reads the destination address of a received datagram from its control messages.
void read_pktinfo(msghdr& msg, SockAddr* local) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi{};
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      local->addr = IpAddress::v4(BytesView(reinterpret_cast<const uint8_t*>(&pi.ipi_addr), 4));
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi{};
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      local->addr = IpAddress::v6(BytesView(reinterpret_cast<const uint8_t*>(&pi.ipi6_addr), 16));
    }
  }
}

bool is_any(const IpAddress& a) { return a == IpAddress::any(a.family()); }

// sendmsg with the source address pinned through PKTINFO (when not the any-address).
bool send_from(int fd, const SockAddr& local, const SockAddr& remote, iovec* iov, size_t iovlen) {
  sockaddr_storage dst{};
  socklen_t dlen = to_sockaddr(remote, &dst);
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr msg{};
  msg.msg_name = &dst;
  msg.msg_namelen = dlen;
  msg.msg_iov = iov;
  msg.msg_iovlen = iovlen;
  if (!is_any(local.addr) && local.addr.family() == remote.addr.family()) {
    msg.msg_control = control;
    cmsghdr* c;
    if (local.addr.is_v4()) {
      msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      std::memcpy(&pi.ipi_spec_dst, local.addr.data(), 4);
      std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    } else {
      msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo pi{};
      std::memcpy(&pi.ipi6_addr, local.addr.data(), 16);
      std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    }
  }
  return ::sendmsg(fd, &msg, 0) >= 0;
}

}  // namespace

Result<UdpSocket> UdpSocket::open(IpFamily family, uint16_t port, uint32_t fwmark) {
  int domain = family == IpFamily::V4 ? AF_INET : AF_INET6;
  auto fd = make_socket(domain, SOCK_DGRAM, IPPROTO_UDP, fwmark);
  if (!fd) return make_error(fd.error().message);
  // No SO_REUSEADDR: UDP has no TIME_WAIT to skip, and a second daemon on the same ports
  // must fail at start instead of silently sharing the datagrams.
  sockaddr_storage ss{};
  socklen_t len = to_sockaddr(SockAddr{IpAddress::any(family), port}, &ss);
  if (::bind(fd->get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return make_error(fmt::format("bind UDP {} port {}: {}", family == IpFamily::V4 ? "IPv4" : "IPv6", port,
                                  std::strerror(errno)));
  UdpSocket s;
  s.fd_ = std::move(*fd);
  s.family_ = family;
  s.port_ = port;
  return s;
}

std::optional<Received> UdpSocket::receive(MutBytes buffer) {
  sockaddr_storage src{};
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) uint8_t control[256];
  msghdr msg{};
  msg.msg_name = &src;
  msg.msg_namelen = sizeof(src);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = ::recvmsg(fd_.get(), &msg, 0);
  if (n < 0) return std::nullopt;
  Received r;
  // A truncated datagram is useless (and would be misparsed): report it as length 0.
  r.length = (msg.msg_flags & MSG_TRUNC) ? 0 : static_cast<size_t>(n);
  r.remote = from_sockaddr(src);
  r.local.addr = IpAddress::any(family_);
  r.local.port = port_;
  read_pktinfo(msg, &r.local);
  return r;
}

bool UdpSocket::send(const SockAddr& local, const SockAddr& remote, BytesView head, BytesView body) {
  // Gathered so the non-ESP marker needs no copy of the message.
  iovec iov[2] = {{const_cast<uint8_t*>(head.data()), head.size()},
                  {const_cast<uint8_t*>(body.data()), body.size()}};
  if (head.empty()) return send_from(fd_.get(), local, remote, &iov[1], 1);
  return send_from(fd_.get(), local, remote, iov, 2);
}

Result<RawEspSocket> RawEspSocket::open(IpFamily family, uint32_t fwmark) {
  int domain = family == IpFamily::V4 ? AF_INET : AF_INET6;
  auto fd = make_socket(domain, SOCK_RAW, IPPROTO_ESP, fwmark);
  if (!fd) return make_error(fd.error().message);
  RawEspSocket s;
  s.fd_ = std::move(*fd);
  s.family_ = family;
  return s;
}

std::optional<Received> RawEspSocket::receive(MutBytes buffer, size_t* payload_offset) {
  sockaddr_storage src{};
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) uint8_t control[256];
  msghdr msg{};
  msg.msg_name = &src;
  msg.msg_namelen = sizeof(src);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = ::recvmsg(fd_.get(), &msg, 0);
  if (n < 0) return std::nullopt;
  Received r;
  r.remote = from_sockaddr(src);
  r.local.addr = IpAddress::any(family_);
  read_pktinfo(msg, &r.local);
  size_t len = (msg.msg_flags & MSG_TRUNC) ? 0 : static_cast<size_t>(n);
  size_t off = 0;
  if (family_ == IpFamily::V4 && len > 0) {
    // The IPv4 header comes with the data; its IHL says how long it is (bounds-checked).
    size_t ihl = static_cast<size_t>(buffer[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > len) {
      len = 0;
    } else {
      off = ihl;
      if (is_any(r.local.addr)) r.local.addr = IpAddress::v4(BytesView(buffer.data() + 16, 4));
    }
  }
  r.length = len;
  *payload_offset = off;
  return r;
}

bool RawEspSocket::send(const SockAddr& local, const SockAddr& remote, BytesView esp) {
  iovec iov{const_cast<uint8_t*>(esp.data()), esp.size()};
  SockAddr dst{remote.addr, 0};
  return send_from(fd_.get(), local, dst, &iov, 1);
}

}  // namespace portunus::daemon
