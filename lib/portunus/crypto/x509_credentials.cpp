#include "portunus/crypto/x509_credentials.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace portunus::crypto {

namespace fs = std::filesystem;

std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<PrivateKey> load_private_key_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error("cannot open the private key " + path);
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return make_error("refusing the private key " + path + ": mode " + mode +
                      " lets group/others access it (chmod 600)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open the private key " + path);
  // The PEM text holds the key; it lives only as long as the parse (OpenSSL copies it).
  std::string pem(static_cast<size_t>(st.st_size), '\0');
  if (!in.read(pem.data(), std::streamsize(pem.size())))
    return make_error("cannot read the private key " + path);
  auto key = PrivateKey::from_pem(pem);
  std::fill(pem.begin(), pem.end(), '\0');
  if (!key) return make_error(path + ": " + key.error().message);
  return key;
}

SwanctlCredentials load_swanctl_credentials(const std::string& confdir) {
  SwanctlCredentials out;
  const fs::path base(confdir);
  for (const auto& f : files_in(base / "x509")) {
    auto certs = Certificate::load_file(f);
    if (certs) {
      out.certs.push_back(CredentialFile{f, std::move(*certs)});
    } else {
      out.problems.push_back(certs.error().message);
    }
  }
  for (const auto& f : files_in(base / "x509ca")) {
    auto certs = Certificate::load_file(f);
    if (!certs) {
      out.problems.push_back(certs.error().message);
      continue;
    }
    for (const auto& c : *certs) {
      auto added = out.trust.add_ca(c);
      if (!added) out.problems.push_back(f + ": " + added.error().message);
    }
  }
  for (const auto& f : files_in(base / "x509crl")) {
    auto n = out.trust.add_crl_file(f);
    if (!n) out.problems.push_back(n.error().message);
  }
  for (const auto& f : files_in(base / "private")) {
    auto key = load_private_key_file(f);
    if (key) {
      out.keys.push_back(KeyFile{f, std::move(*key)});
    } else {
      out.problems.push_back(key.error().message);
    }
  }
  return out;
}

const PrivateKey* key_for(const std::vector<KeyFile>& keys, const Certificate& cert) {
  const Bytes spki = cert.public_key().der();
  for (const auto& k : keys) {
    if (k.key.public_key().der() == spki) return &k.key;
  }
  return nullptr;
}

}  // namespace portunus::crypto
