#include "portunus/daemon/tun_device.h"

#include <fcntl.h>
#include <net/if.h>
// After <net/if.h>: linux/if_tun.h needs struct ifreq and <linux/if.h> would clash with it.
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace portunus::daemon {

Result<TunDevice> TunDevice::open(const std::string& name) {
  if (name.size() >= IFNAMSIZ)
    return make_error(fmt::format("TUN name '{}' is longer than {}", name, IFNAMSIZ - 1));
  Fd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return make_error(fmt::format("open /dev/net/tun: {}", std::strerror(errno)));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd.get(), TUNSETIFF, &ifr) != 0)
    return make_error(fmt::format("TUNSETIFF {}: {}", name, std::strerror(errno)));
  TunDevice t;
  t.fd_ = std::move(fd);
  t.name_ = ifr.ifr_name;
  t.ifindex_ = static_cast<int>(if_nametoindex(t.name_.c_str()));
  if (t.ifindex_ == 0) return make_error(fmt::format("if_nametoindex {}: {}", t.name_, std::strerror(errno)));
  return t;
}

long TunDevice::read(MutBytes buffer) {
  ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  return static_cast<long>(n);
}

bool TunDevice::write(BytesView packet) { return ::write(fd_.get(), packet.data(), packet.size()) >= 0; }

}  // namespace portunus::daemon
