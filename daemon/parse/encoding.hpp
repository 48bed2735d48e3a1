#pragma once
// Character encoding detection and transcoding to UTF-8, before any XML parser sees the
// bytes (pugixml would pass GBK through as if it were UTF-8). The order is RFC 7303's and
// feedparser's: a byte order mark wins, then the HTTP charset, then the XML declaration,
// then detection (UTF-16/32 by the shape of "<?", else UTF-8 if the bytes are UTF-8, else
// GB18030 or windows-1252). Labels are mapped the way browsers map them (WHATWG): the
// label a server writes is usually a subset of what its bytes really are.

#include <string>
#include <string_view>
#include <vector>

namespace feedd::parse {

struct DecodedDocument {
  // Valid UTF-8 without a byte order mark. Points into the input when the input already
  // was UTF-8 (the common case costs no copy), else into `owned`.
  std::string_view text;
  std::string owned;
  // What the bytes were decoded from, lower case, as actually used: "utf-8",
  // "windows-1252" (also for documents labelled iso-8859-1 or us-ascii), "gb18030",
  // "big5-hkscs", "cp932", "cp949", "euc-jp", "koi8-r", "utf-16le", ...
  std::string encoding;
  // True when the text is known to need no clean_xml_text pass (document_scan.hpp: the
  // same scan said the bytes are UTF-8 and that cleaning would change nothing).
  bool needs_no_cleaning = false;

  DecodedDocument() = default;
  DecodedDocument(const DecodedDocument&) = delete;
  DecodedDocument& operator=(const DecodedDocument&) = delete;
};

// Never fails: an unknown label is ignored (with a warning) and detection decides;
// ill-formed sequences become U+FFFD (with a warning). `doc` must not outlive `bytes`.
void decode_document(std::string_view bytes, std::string_view content_type, std::vector<std::string>& warnings,
                     DecodedDocument& doc);

// The charset parameter of a Content-Type header, lower case; "" when absent.
std::string charset_of(std::string_view content_type);

// The encoding a label stands for, as decode_document reports it ("latin1" ->
// "windows-1252", "gb2312" -> "gb18030"); "" when neither the table nor iconv knows it.
std::string canonical_encoding(std::string_view label);

}  // namespace feedd::parse
