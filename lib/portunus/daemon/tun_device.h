#pragma once
// The TUN device carrying inner packets: the kernel routes traffic for remote selectors into
// it (outbound), and we write decapsulated packets into it (inbound). IFF_NO_PI: every read
// and write is exactly one IP packet, the version nibble tells v4 from v6.
#include <string>

#include "portunus/base/bytes.h"
#include "portunus/base/error.h"
#include "portunus/daemon/sockets.h"

namespace portunus::daemon {

class TunDevice {
 public:
  // `name` may contain "%d" (the kernel picks the number).
  static Result<TunDevice> open(const std::string& name);
  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  // Bytes read (0: nothing available); -1 on error.
  long read(MutBytes buffer);
  bool write(BytesView packet);

 private:
  Fd fd_;
  std::string name_;
  int ifindex_ = 0;
};

}  // namespace portunus::daemon
