#pragma once
// Character encoding detection and transcoding to UTF-8, before any XML parser sees the
// bytes. The rule follows RFC 7303 in spirit: a byte order mark wins, then the HTTP
// charset, then the XML declaration, then UTF-8.

#include <string>
#include <string_view>
#include <vector>

namespace feedd::parse {

struct DecodedDocument {
  std::string text;      // valid UTF-8, no byte order mark
  std::string encoding;  // what the bytes were decoded from, lower case ("utf-8", "iso-8859-1")
};

// Never fails: an unsupported encoding is read as UTF-8 (with a warning) and ill-formed
// sequences become U+FFFD (with a warning).
DecodedDocument decode_document(std::string_view bytes, std::string_view content_type,
                                std::vector<std::string>& warnings);

// The charset parameter of a Content-Type header, lower case; "" when absent.
std::string charset_of(std::string_view content_type);

}  // namespace feedd::parse
