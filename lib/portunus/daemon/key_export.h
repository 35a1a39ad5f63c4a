#pragma once
// Opt-in key export for Wireshark (portunusd --export-keys DIR): lines in the formats of its
// ikev2_decryption_table and esp_sa UAT files, so a capture can be decrypted with tshark.
// This writes key material to disk by design; the files are created mode 0600 and nothing
// is written unless asked for.
#include <cstdint>
#include <string>

#include "portunus/base/ip_address.h"
#include "portunus/base/secure_bytes.h"
#include "portunus/crypto/ids.h"

namespace portunus::daemon {

// Wireshark's names for ESP algorithms ("AES-GCM with 16 octet ICV [RFC4106]", ...).
std::string wireshark_esp_encr(crypto::EncrId id, uint16_t key_bits);
std::string wireshark_esp_auth(crypto::IntegId id);

// "IPv4","src","dst","0xSPI","encr","0xkey","auth","0xkey"
std::string esp_sa_line(const IpAddress& src, const IpAddress& dst, uint32_t spi, crypto::EncrId encr,
                        uint16_t key_bits, const SecureBytes& encr_key, crypto::IntegId integ,
                        const SecureBytes& integ_key);

// Appends one line (creating the file 0600); false on error.
bool append_key_line(const std::string& path, const std::string& line);

}  // namespace portunus::daemon
