// libFuzzer target for the IKEv2 message codec. Properties checked:
//  - decode_message never crashes, reads out of bounds or aborts (ASan/UBSan watch that);
//  - whatever decodes re-encodes, decodes again to an equal Message, and re-encodes to the
//    same bytes (the round trip is stable);
//  - the body of an SK payload, read as a decrypted inner chain, obeys the same properties
//    (the fuzzer mutates it freely, so this exercises decode_payloads as well);
//  - describe() copes with everything that decodes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "portunus/wire/ike_message.h"

using namespace portunus;
using namespace portunus::wire;

namespace {

[[noreturn]] void fail() { std::abort(); }

void check_inner_chain(PayloadType first, BytesView body) {
  auto chain = decode_payloads(first, body);
  if (!chain) {
    if (chain.error().offset > body.size()) fail();
    return;
  }
  auto wire = encode_payloads(*chain);
  if (!wire) fail();
  auto back = decode_payloads(first, *wire);
  if (!back || !(*back == *chain)) fail();
  auto again = encode_payloads(*back);
  if (!again || *again != *wire) fail();
  for (const auto& p : *chain) (void)describe(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView input(data, size);
  auto msg = decode_message(input);
  if (!msg) {
    if (msg.error().offset > size) fail();
    (void)describe(msg.error());
    return 0;
  }
  (void)describe(*msg);
  auto wire = encode_message(*msg);
  if (!wire) fail();
  auto back = decode_message(*wire);
  if (!back || !(*back == *msg)) fail();
  auto again = encode_message(*back);
  if (!again || *again != *wire) fail();

  if (const auto* sk = msg->find<EncryptedPayload>()) {
    if (encrypted_prefix(input, *msg).size() + sk->body.size() != size) fail();
    check_inner_chain(sk->first_inner, sk->body);
  }
  return 0;
}
