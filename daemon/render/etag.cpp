#include "render/etag.hpp"

#include <openssl/evp.h>

#include <array>

namespace feedd::render {

std::string strong_etag(std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  // EVP_Digest only fails on allocation failure; an all-zero tag would still be a
  // well-formed validator, just a useless one, so there is nothing better to do.
  EVP_Digest(body.data(), body.size(), digest.data(), &digest_size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned int i = 0; i < 16 && i < digest_size; ++i) {
    tag += kHex[digest[i] >> 4];
    tag += kHex[digest[i] & 0xf];
  }
  tag += '"';
  return tag;
}

}  // namespace feedd::render
