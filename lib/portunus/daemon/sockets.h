#pragma once
// The daemon's network sockets: UDP for IKE (500) and NAT-T (4500, IKE and ESP-in-UDP told
// apart by the non-ESP marker, RFC 3948 2.2), and raw IP protocol 50 for plain ESP. All carry
// the daemon's fwmark, so the policy-routing rule that sends remote selectors into the TUN
// device never catches our own IKE and ESP packets (which would loop back into us).
#include <cstdint>
#include <optional>
#include <string>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/base/ip_address.h"

namespace portunus::daemon {

struct SockAddr {
  IpAddress addr;
  uint16_t port = 0;
  friend bool operator==(const SockAddr&, const SockAddr&) = default;
};

std::string to_string(const SockAddr& a);

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset();

 private:
  int fd_ = -1;
};

struct Received {
  size_t length = 0;
  SockAddr local;  // the address the datagram was sent to (IP_PKTINFO / IPV6_PKTINFO)
  SockAddr remote;
};

// A UDP socket bound to the wildcard address of one family and a port. The local address of
// each datagram is learned from PKTINFO and replies are sent from that same address, so one
// socket serves every configured address (and addresses added later).
class UdpSocket {
 public:
  static Result<UdpSocket> open(IpFamily family, uint16_t port, uint32_t fwmark);
  int fd() const { return fd_.get(); }
  IpFamily family() const { return family_; }
  uint16_t port() const { return port_; }
  // nullopt: nothing more to read (EAGAIN) or an error that only concerns this datagram.
  std::optional<Received> receive(MutBytes buffer);
  // `local.addr` any-address: the kernel picks the source. Returns false on error (logged by caller).
  bool send(const SockAddr& local, const SockAddr& remote, BytesView head, BytesView body);

 private:
  Fd fd_;
  IpFamily family_ = IpFamily::V4;
  uint16_t port_ = 0;
};

// Raw IP protocol 50 socket of one family. IPv4 raw sockets deliver the IP header, IPv6
// ones do not; receive() strips it so callers always get the ESP header first.
class RawEspSocket {
 public:
  static Result<RawEspSocket> open(IpFamily family, uint32_t fwmark);
  int fd() const { return fd_.get(); }
  IpFamily family() const { return family_; }
  // On success `payload_offset` is where ESP starts in `buffer`.
  std::optional<Received> receive(MutBytes buffer, size_t* payload_offset);
  bool send(const SockAddr& local, const SockAddr& remote, BytesView esp);

 private:
  Fd fd_;
  IpFamily family_ = IpFamily::V4;
};

}  // namespace portunus::daemon
