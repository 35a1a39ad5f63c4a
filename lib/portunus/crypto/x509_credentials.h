#pragma once
// Credentials from files, in swanctl's layout next to swanctl.conf:
//   x509/     our (and pinned peer) certificates      x509ca/  CA certificates (trust anchors)
//   private/  private keys (PEM)                       x509crl/ CRLs (PEM or DER)
// Private key files must not be readable by group or others (as ssh refuses such keys): a
// key that others can read is compromised, so we refuse it with a clear error.
#include <filesystem>
#include <string>
#include <vector>

#include "portunus/base/error.h"
#include "portunus/crypto/signature.h"
#include "portunus/crypto/x509.h"

namespace portunus::crypto {

// The regular files in `dir` (none if it is missing), in name order, so that what is loaded
// first (e.g. a connection's default certificate) does not depend on the directory's order.
std::vector<std::string> files_in(const std::filesystem::path& dir);

// Loads an unencrypted PEM private key; refuses a file with any group/other permission bit.
Result<PrivateKey> load_private_key_file(const std::string& path);

struct CredentialFile {
  std::string path;
  std::vector<Certificate> certs;
};
struct KeyFile {
  std::string path;
  PrivateKey key;
};

struct SwanctlCredentials {
  std::vector<CredentialFile> certs;  // x509/
  TrustStore trust;                   // x509ca/ + x509crl/
  std::vector<KeyFile> keys;          // private/
  std::vector<std::string> problems;  // files that failed to load, with the reason (the rest loads)
};

// Reads the four directories under `confdir` (missing directories are empty). Files load in
// name order so that the result does not depend on the directory's order.
SwanctlCredentials load_swanctl_credentials(const std::string& confdir);

// The private key among `keys` that belongs to `cert` (same public key), or nullptr.
const PrivateKey* key_for(const std::vector<KeyFile>& keys, const Certificate& cert);

}  // namespace portunus::crypto
