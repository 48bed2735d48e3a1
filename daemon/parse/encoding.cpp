#include "parse/encoding.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <optional>
#include <cerrno>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "parse/document_scan.hpp"
#include "parse/text.hpp"

namespace feedd::parse {
namespace {

// windows-1252 differs from ISO-8859-1 only in 0x80-0x9F; browsers (and feedparser) read
// documents labelled ISO-8859-1 as windows-1252, because that is what they really are.
// Undefined positions map to the C1 control of the same value, as WHATWG does (glibc's
// CP1252 rejects them, so this one decoder is our own).
constexpr std::array<char16_t, 32> kWindows1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// A label as servers and declarations write it -> the encoding we decode with. The
// mapping is the browsers' (WHATWG Encoding): each legacy label goes to the superset its
// documents really use. Labels not listed here are tried with iconv as written.
struct Label {
  std::string_view label;
  std::string_view reported;  // lower case, as ParsedFeed::encoding
  const char* iconv_name;     // nullptr: decoded by our own code
};

constexpr Label kLabels[] = {
    {"utf-8", "utf-8", nullptr},
    {"utf8", "utf-8", nullptr},
    {"unicode-1-1-utf-8", "utf-8", nullptr},
    {"x-unicode20utf8", "utf-8", nullptr},
    {"us-ascii", "windows-1252", nullptr},
    {"ascii", "windows-1252", nullptr},
    {"ansi_x3.4-1968", "windows-1252", nullptr},
    {"iso-8859-1", "windows-1252", nullptr},
    {"iso8859-1", "windows-1252", nullptr},
    {"iso_8859-1", "windows-1252", nullptr},
    {"iso88591", "windows-1252", nullptr},
    {"iso-ir-100", "windows-1252", nullptr},
    {"latin1", "windows-1252", nullptr},
    {"latin-1", "windows-1252", nullptr},
    {"l1", "windows-1252", nullptr},
    {"cp819", "windows-1252", nullptr},
    {"ibm819", "windows-1252", nullptr},
    {"csisolatin1", "windows-1252", nullptr},
    {"windows-1252", "windows-1252", nullptr},
    {"cp1252", "windows-1252", nullptr},
    {"x-cp1252", "windows-1252", nullptr},
    {"utf-16", "utf-16", nullptr},
    {"utf16", "utf-16", nullptr},
    {"ucs-2", "utf-16", nullptr},
    {"unicode", "utf-16", nullptr},
    {"utf-16le", "utf-16le", nullptr},
    {"utf-16be", "utf-16be", nullptr},
    {"utf-32", "utf-32", nullptr},
    {"ucs-4", "utf-32", nullptr},
    {"utf-32le", "utf-32le", nullptr},
    {"utf-32be", "utf-32be", nullptr},
    // ISO-8859-9 and -11 are read as their Windows supersets, like -1.
    {"iso-8859-9", "windows-1254", "CP1254"},
    {"latin5", "windows-1254", "CP1254"},
    {"iso-8859-11", "windows-874", "CP874"},
    {"tis-620", "windows-874", "CP874"},
    {"windows-874", "windows-874", "CP874"},
    {"koi8-r", "koi8-r", "KOI8-R"},
    {"koi8r", "koi8-r", "KOI8-R"},
    {"koi8", "koi8-r", "KOI8-R"},
    {"cskoi8r", "koi8-r", "KOI8-R"},
    {"koi8-u", "koi8-u", "KOI8-U"},
    {"koi8-ru", "koi8-u", "KOI8-U"},
    {"gb18030", "gb18030", "GB18030"},
    {"gb2312", "gb18030", "GB18030"},
    {"gb_2312", "gb18030", "GB18030"},
    {"gb_2312-80", "gb18030", "GB18030"},
    {"csgb2312", "gb18030", "GB18030"},
    {"iso-ir-58", "gb18030", "GB18030"},
    {"chinese", "gb18030", "GB18030"},
    {"gbk", "gb18030", "GB18030"},
    {"x-gbk", "gb18030", "GB18030"},
    {"cp936", "gb18030", "GB18030"},
    {"ms936", "gb18030", "GB18030"},
    {"windows-936", "gb18030", "GB18030"},
    {"euc-cn", "gb18030", "GB18030"},
    {"big5", "big5-hkscs", "BIG5-HKSCS"},
    {"big5-hkscs", "big5-hkscs", "BIG5-HKSCS"},
    {"cn-big5", "big5-hkscs", "BIG5-HKSCS"},
    {"csbig5", "big5-hkscs", "BIG5-HKSCS"},
    {"x-x-big5", "big5-hkscs", "BIG5-HKSCS"},
    {"shift_jis", "cp932", "CP932"},
    {"shift-jis", "cp932", "CP932"},
    {"sjis", "cp932", "CP932"},
    {"x-sjis", "cp932", "CP932"},
    {"ms_kanji", "cp932", "CP932"},
    {"csshiftjis", "cp932", "CP932"},
    {"windows-31j", "cp932", "CP932"},
    {"ms932", "cp932", "CP932"},
    {"cp932", "cp932", "CP932"},
    {"euc-jp", "euc-jp", "EUC-JP"},
    {"eucjp", "euc-jp", "EUC-JP"},
    {"x-euc-jp", "euc-jp", "EUC-JP"},
    {"iso-2022-jp", "iso-2022-jp", "ISO-2022-JP"},
    {"csiso2022jp", "iso-2022-jp", "ISO-2022-JP"},
    {"euc-kr", "cp949", "CP949"},
    {"euckr", "cp949", "CP949"},
    {"cseuckr", "cp949", "CP949"},
    {"ks_c_5601-1987", "cp949", "CP949"},
    {"ks_c_5601-1989", "cp949", "CP949"},
    {"ksc5601", "cp949", "CP949"},
    {"ksc_5601", "cp949", "CP949"},
    {"korean", "cp949", "CP949"},
    {"iso-ir-149", "cp949", "CP949"},
    {"windows-949", "cp949", "CP949"},
    {"cp949", "cp949", "CP949"},
    {"uhc", "cp949", "CP949"},
};

// What to decode with: the reported name and how.
struct Codec {
  std::string reported;
  std::string iconv_name;  // empty: utf-8, windows-1252, utf-16*, utf-32* (our own code)
};

bool iconv_knows(const std::string& name) {
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  iconv_close(cd);
  return true;
}

// "iso8859_2", "ISO-8859-2", "latin2" -> 2; 0 when the label is none of these.
int iso8859_part(std::string_view label) {
  for (std::string_view prefix : {"iso-8859-", "iso8859-", "iso_8859-", "iso8859", "iso-8859_", "iso_8859_"}) {
    if (label.substr(0, prefix.size()) != prefix) continue;
    int n = 0;
    for (char c : label.substr(prefix.size())) {
      if (c < '0' || c > '9') return 0;
      n = n * 10 + (c - '0');
      if (n > 16) return 0;
    }
    return n;
  }
  constexpr std::string_view kLatin[] = {"", "", "latin2", "latin3", "latin4", "", "", "", "", "",
                                         "latin6", "", "", "latin7", "latin8", "latin9", "latin10"};
  for (int n = 0; n < 17; ++n)
    if (!kLatin[n].empty() && label == kLatin[n]) return n;
  return 0;
}

std::optional<Codec> codec_for(std::string_view raw_label) {
  const std::string label = to_lower_ascii(trim(raw_label));
  if (label.empty()) return std::nullopt;
  for (const Label& known : kLabels)
    if (known.label == label)
      return Codec{std::string(known.reported), known.iconv_name ? known.iconv_name : ""};
  if (const int part = iso8859_part(label); part > 0 && part != 12) {
    if (part == 1) return Codec{"windows-1252", ""};
    if (part == 9) return Codec{"windows-1254", "CP1254"};
    if (part == 11) return Codec{"windows-874", "CP874"};
    return Codec{"iso-8859-" + std::to_string(part), "ISO-8859-" + std::to_string(part)};
  }
  // windows-1250 ... windows-1258 under their usual spellings.
  for (std::string_view prefix : {"windows-", "cp", "x-cp", "win"}) {
    if (label.size() == prefix.size() + 4 && label.substr(0, prefix.size()) == prefix &&
        label.compare(prefix.size(), 3, "125") == 0 && label.back() >= '0' && label.back() <= '8')
      return Codec{"windows-125" + std::string(1, label.back()), "CP125" + std::string(1, label.back())};
  }
  // Anything else glibc knows (ISO-2022-KR, CP866, MacRoman, TIS-620 spellings, ...).
  // The label is passed through only if it is a plain name: iconv treats "//" specially.
  if (label.size() <= 40 && label.find('/') == std::string::npos && iconv_knows(label))
    return Codec{label, label};
  return std::nullopt;
}

bool is_utf16_or_32(const Codec& codec) {
  return codec.reported.compare(0, 6, "utf-16") == 0 || codec.reported.compare(0, 6, "utf-32") == 0;
}

// The UTF-8 of each byte from 0x80 on, built once.
const std::array<std::string, 128> kWindows1252Utf8 = [] {
  std::array<std::string, 128> table;
  for (unsigned b = 0x80; b <= 0xFF; ++b)
    append_utf8(table[b - 0x80], b < 0xA0 ? kWindows1252High[b - 0x80] : static_cast<char32_t>(b));
  return table;
}();

std::string decode_windows1252(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (size_t i = 0; i < bytes.size();) {
    // Runs of ASCII are copied at once: most of a Western document is ASCII. They are
    // found sixteen bytes at a time where SSE2 is there (every x86-64).
    size_t end = i;
#ifdef __SSE2__
    for (int mask = 0; end + 16 <= bytes.size(); end += 16) {
      mask = _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes.data() + end)));
      if (mask != 0) {
        end += static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        break;
      }
    }
#endif
    while (end < bytes.size() && static_cast<unsigned char>(bytes[end]) < 0x80) ++end;
    out.append(bytes.data() + i, end - i);
    if (end >= bytes.size()) break;
    out += kWindows1252Utf8[static_cast<unsigned char>(bytes[end]) - 0x80];
    i = end + 1;
  }
  return out;
}

// UTF-16 and UTF-32 of either byte order; lone surrogates, values past U+10FFFF and a
// truncated last unit become U+FFFD. `invalid` counts them.
std::string decode_wide(std::string_view bytes, size_t width, bool little_endian, size_t& invalid) {
  std::string out;
  out.reserve(bytes.size());
  const auto unit = [&](size_t i) -> char32_t {
    char32_t v = 0;
    for (size_t k = 0; k < width; ++k) {
      const auto b = static_cast<unsigned char>(bytes[i + (little_endian ? width - 1 - k : k)]);
      v = v << 8 | b;
    }
    return v;
  };
  size_t i = 0;
  for (; i + width <= bytes.size(); i += width) {
    char32_t cp = unit(i);
    if (width == 2 && cp >= 0xD800 && cp <= 0xDBFF && i + 2 * width <= bytes.size()) {
      const char32_t low = unit(i + width);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += width;
      }
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) ++invalid;
    append_utf8(out, cp);  // a lone surrogate or too large a value becomes U+FFFD here
  }
  if (i < bytes.size()) {
    ++invalid;
    append_utf8(out, 0xFFFD);
  }
  return out;
}

// Any encoding glibc knows, to UTF-8. An invalid or truncated sequence becomes U+FFFD
// and decoding resumes at the next byte; `invalid` counts them.
std::string decode_with_iconv(std::string_view bytes, const std::string& from, size_t& invalid) {
  std::string out;
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return to_valid_utf8(bytes);
  out.resize(bytes.size() * 2 + 16);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t used = 0;
  while (in_left > 0) {
    char* dst = out.data() + used;
    size_t out_left = out.size() - used;
    const size_t rc = iconv(cd, &in, &in_left, &dst, &out_left);
    used = out.size() - out_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
    } else {  // EILSEQ or EINVAL (truncated at the end)
      ++invalid;
      if (out.size() - used < 4) out.resize(out.size() * 2);
      std::memcpy(out.data() + used, "\xEF\xBF\xBD", 3);
      used += 3;
      ++in;
      --in_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial shift state
    }
  }
  // Flush a stateful encoding (ISO-2022-JP) back to its initial state.
  out.resize(used + 16);
  char* dst = out.data() + used;
  size_t out_left = 16;
  iconv(cd, nullptr, nullptr, &dst, &out_left);
  used = out.size() - out_left;
  out.resize(used);
  iconv_close(cd);
  return out;
}

// The encoding="..." of an XML declaration near the start (junk before it is common);
// "" when absent.
std::string declared_xml_encoding(std::string_view text) {
  const size_t start = text.substr(0, 1024).find("<?xml");
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  const size_t end = text.find("?>");
  const std::string_view decl = text.substr(0, end == std::string_view::npos ? 200 : end);
  const size_t key = decl.find("encoding");
  if (key == std::string_view::npos) return {};
  size_t q = decl.find_first_of("\"'", key);
  if (q == std::string_view::npos) return {};
  const size_t close = decl.find(decl[q], q + 1);
  if (close == std::string_view::npos) return {};
  return to_lower_ascii(trim(decl.substr(q + 1, close - q - 1)));
}

// Counts what a UTF-8 reading of `bytes` would make of them.
struct Utf8Census {
  size_t multibyte = 0;  // well-formed sequences of 2-4 bytes
  size_t invalid = 0;    // ill-formed bytes
};

Utf8Census utf8_census(std::string_view bytes) {
  Utf8Census census;
  for (size_t i = 0; i < bytes.size();) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::string_view next = bytes.substr(i, 4);
    // Length of the well-formed sequence here, if any.
    size_t n = 0;
    for (size_t len = 2; len <= next.size() && n == 0; ++len)
      if (is_valid_utf8(next.substr(0, len))) n = len;
    if (n >= 2) {
      ++census.multibyte;
      i += n;
    } else {
      ++census.invalid;
      ++i;
    }
  }
  return census;
}

// True when most of the non-ASCII characters of `text` are CJK ideographs, kana, hangul
// or full-width forms: the sign that a GB18030 reading of mislabelled bytes is right.
bool looks_cjk(std::string_view text) {
  size_t cjk = 0, other = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    const size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    char32_t cp = 0;
    if (n == 3 && i + 2 < text.size())
      cp = (c & 0x0F) << 12 | (static_cast<unsigned char>(text[i + 1]) & 0x3F) << 6 |
           (static_cast<unsigned char>(text[i + 2]) & 0x3F);
    const bool is_cjk = (cp >= 0x3000 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
                        (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xFF00 && cp <= 0xFFEF);
    (is_cjk ? cjk : other) += 1;
    i += n;
  }
  return cjk > 0 && cjk >= 4 * other;
}

// The first character of an XML document is ASCII ('<' or white space), so where the
// zero bytes of its first four bytes fall tells UTF-16 and UTF-32 and their byte order
// apart (RFC 7303 appendix, XML 1.0 appendix F).
std::optional<Codec> sniff_wide(std::string_view bytes) {
  if (bytes.size() < 4) return std::nullopt;
  const auto z = [&](size_t i) { return bytes[i] == 0; };
  if (!z(0) && z(1) && z(2) && z(3)) return Codec{"utf-32le", ""};
  if (z(0) && z(1) && z(2) && !z(3)) return Codec{"utf-32be", ""};
  if (!z(0) && z(1) && !z(2) && z(3)) return Codec{"utf-16le", ""};
  if (z(0) && !z(1) && z(2) && !z(3)) return Codec{"utf-16be", ""};
  return std::nullopt;
}

// A UTF-16/32 label without a byte order mark: the byte order from where the zeros are,
// or nothing when the bytes are plainly ASCII-compatible (the label is then wrong).
std::optional<Codec> resolve_wide_label(const Codec& codec, std::string_view bytes) {
  if (std::memchr(bytes.data(), 0, std::min<size_t>(bytes.size(), 64)) == nullptr) return std::nullopt;
  if (codec.reported == "utf-16" || codec.reported == "utf-32") {
    const bool le = bytes.size() > 1 && bytes[0] != 0;
    return Codec{codec.reported + (le ? "le" : "be"), ""};
  }
  return codec;
}

void decode_as(std::string_view bytes, const Codec& codec, std::vector<std::string>& warnings,
               DecodedDocument& doc) {
  doc.encoding = codec.reported;
  size_t invalid = 0;
  if (codec.reported == "windows-1252") {
    doc.owned = decode_windows1252(bytes);
  } else if (is_utf16_or_32(codec)) {
    const size_t width = codec.reported[4] == '1' ? 2 : 4;
    doc.owned = decode_wide(bytes, width, codec.reported.substr(6) != "be", invalid);
  } else {
    doc.owned = decode_with_iconv(bytes, codec.iconv_name, invalid);
  }
  doc.text = doc.owned;
  if (invalid > 0)
    warnings.push_back(std::to_string(invalid) + " invalid " + doc.encoding +
                       " byte sequence(s) replaced with U+FFFD");
}

// Bytes that should be UTF-8 (declared so, or undeclared) but are not.
void recover_non_utf8(std::string_view bytes, bool declared, std::vector<std::string>& warnings,
                      DecodedDocument& doc) {
  const Utf8Census census = utf8_census(bytes);
  // Mostly UTF-8 with a few broken bytes: keep it UTF-8 and patch the holes.
  if (census.multibyte >= census.invalid) {
    doc.encoding = "utf-8";
    doc.owned = to_valid_utf8(bytes);
    doc.text = doc.owned;
    warnings.push_back(std::to_string(census.invalid) + " invalid utf-8 byte sequence(s) replaced with U+FFFD");
    return;
  }
  const std::string what = declared ? "declared utf-8 but is not" : "not utf-8 and declares no encoding";
  size_t invalid = 0;
  std::string gb = decode_with_iconv(bytes, "GB18030", invalid);
  if (invalid == 0 && looks_cjk(gb)) {
    doc.encoding = "gb18030";
    doc.owned = std::move(gb);
    doc.text = doc.owned;
    warnings.push_back("document " + what + "; read as gb18030");
    return;
  }
  doc.encoding = "windows-1252";
  doc.owned = decode_windows1252(bytes);
  doc.text = doc.owned;
  warnings.push_back("document " + what + "; read as windows-1252");
}

void decode_utf8(std::string_view bytes, bool declared, std::vector<std::string>& warnings, DecodedDocument& doc) {
  const DocumentScan scan = scan_document(bytes);
  if (scan.valid_utf8) {
    // 7-bit ISO-2022-JP is valid UTF-8 byte for byte; its escape sequences give it away.
    // ESC is a control character: a document the scan found clean has none.
    if (!declared && scan.may_need_cleaning && std::memchr(bytes.data(), 0x1B, bytes.size()) != nullptr &&
        (bytes.find("\x1B$B") != std::string_view::npos || bytes.find("\x1B$@") != std::string_view::npos)) {
      decode_as(bytes, Codec{"iso-2022-jp", "ISO-2022-JP"}, warnings, doc);
      return;
    }
    doc.encoding = "utf-8";
    doc.text = bytes;
    doc.needs_no_cleaning = !scan.may_need_cleaning;
    return;
  }
  recover_non_utf8(bytes, declared, warnings, doc);
}

struct Bom {
  std::string_view bytes;
  const char* encoding;
};
constexpr Bom kBoms[] = {{{"\xEF\xBB\xBF", 3}, "utf-8"},
                         {{"\xFF\xFE\x00\x00", 4}, "utf-32le"},
                         {{"\x00\x00\xFE\xFF", 4}, "utf-32be"},
                         {{"\xFF\xFE", 2}, "utf-16le"},
                         {{"\xFE\xFF", 2}, "utf-16be"}};

}  // namespace

std::string charset_of(std::string_view content_type) {
  const std::string lower = to_lower_ascii(content_type);
  const size_t key = lower.find("charset=");
  if (key == std::string::npos) return {};
  std::string_view value = std::string_view(lower).substr(key + 8);
  value = value.substr(0, value.find(';'));
  value = trim(value);
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) value = value.substr(1, value.size() - 2);
  return std::string(trim(value));
}

std::string canonical_encoding(std::string_view label) {
  const auto codec = codec_for(label);
  return codec ? codec->reported : std::string();
}

void decode_document(std::string_view bytes, std::string_view content_type, std::vector<std::string>& warnings,
                     DecodedDocument& doc) {
  // 1. A byte order mark is the strongest signal there is.
  for (const Bom& bom : kBoms) {
    if (bytes.substr(0, bom.bytes.size()) != bom.bytes) continue;
    bytes.remove_prefix(bom.bytes.size());
    const Codec codec{bom.encoding, ""};
    if (codec.reported == "utf-8") {
      decode_utf8(bytes, true, warnings, doc);
    } else {
      decode_as(bytes, codec, warnings, doc);
    }
    const std::string declared = declared_xml_encoding(doc.text);
    if (!declared.empty()) {
      const std::string meant = canonical_encoding(declared);
      if (meant.empty() || doc.encoding.compare(0, meant.size(), meant) != 0)
        warnings.push_back("byte order mark says " + std::string(bom.encoding) + ", the declaration says '" +
                           declared + "'; the byte order mark wins");
    }
    return;
  }
  // 2. UTF-16/32 without a mark, told by the shape of the first "<".
  if (auto wide = sniff_wide(bytes)) {
    decode_as(bytes, *wide, warnings, doc);
    return;
  }
  // 3. The HTTP charset, then 4. the XML declaration.
  std::optional<Codec> codec;
  bool declared = false;
  for (const auto& [label, where] : {std::pair{charset_of(content_type), "Content-Type charset"},
                                     std::pair{declared_xml_encoding(bytes), "declared encoding"}}) {
    if (label.empty()) continue;
    declared = true;
    codec = codec_for(label);
    if (codec && is_utf16_or_32(*codec)) codec = resolve_wide_label(*codec, bytes);
    if (codec) break;
    // A UTF-16 label on ASCII-compatible bytes is a copied declaration: silently wrong.
    if (!codec_for(label)) warnings.push_back("unknown " + std::string(where) + " '" + label + "' ignored");
  }
  // 5. Detection: UTF-8 when the bytes are UTF-8, else a legacy encoding.
  if (!codec || codec->reported == "utf-8") {
    decode_utf8(bytes, declared && codec, warnings, doc);
    return;
  }
  decode_as(bytes, *codec, warnings, doc);
}

}  // namespace feedd::parse
