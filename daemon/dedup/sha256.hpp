#pragma once
// SHA-256 as lower-case hex, through OpenSSL's libcrypto (kept out of public headers).

#include <string>
#include <string_view>

namespace feedd::dedup {

std::string sha256_hex(std::string_view bytes);

}  // namespace feedd::dedup
