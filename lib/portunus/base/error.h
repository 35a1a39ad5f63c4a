#pragma once
// The general error type for operations whose failure is reported to a person
// (configuration, key setup). Hot paths use their own enums instead.
#include <string>

#include "portunus/base/expected.h"

namespace portunus {

struct Error {
  std::string message;
};

template <class T>
using Result = Expected<T, Error>;

inline Unexpected<Error> make_error(std::string message) { return Unexpected<Error>(Error{std::move(message)}); }

}  // namespace portunus
