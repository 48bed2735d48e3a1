#include "parse/encoding.hpp"

#include <array>

#include "parse/text.hpp"

namespace feedd::parse {
namespace {

// windows-1252 differs from ISO-8859-1 only in 0x80-0x9F; browsers (and feedparser) read
// documents labelled ISO-8859-1 as windows-1252, because that is what they really are.
// Undefined positions map to the C1 control of the same value, as WHATWG does.
constexpr std::array<char16_t, 32> kWindows1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

enum class Decoder { kUtf8, kWindows1252, kUtf16Le, kUtf16Be };

struct Label {
  std::string_view name;
  Decoder decoder;
  std::string_view reported;
};

constexpr Label kLabels[] = {
    {"utf-8", Decoder::kUtf8, "utf-8"},
    {"utf8", Decoder::kUtf8, "utf-8"},
    {"us-ascii", Decoder::kUtf8, "us-ascii"},
    {"ascii", Decoder::kUtf8, "us-ascii"},
    {"iso-8859-1", Decoder::kWindows1252, "iso-8859-1"},
    {"iso8859-1", Decoder::kWindows1252, "iso-8859-1"},
    {"iso_8859-1", Decoder::kWindows1252, "iso-8859-1"},
    {"latin1", Decoder::kWindows1252, "iso-8859-1"},
    {"latin-1", Decoder::kWindows1252, "iso-8859-1"},
    {"l1", Decoder::kWindows1252, "iso-8859-1"},
    {"windows-1252", Decoder::kWindows1252, "windows-1252"},
    {"cp1252", Decoder::kWindows1252, "windows-1252"},
    {"x-cp1252", Decoder::kWindows1252, "windows-1252"},
    // Found only in a declaration, so without a byte order mark or the 16-bit "<?"
    // (both checked first): the bytes are ASCII-compatible and the label is wrong.
    {"utf-16", Decoder::kUtf8, "utf-8"},
    {"utf-16le", Decoder::kUtf16Le, "utf-16le"},
    {"utf-16be", Decoder::kUtf16Be, "utf-16be"},
};

std::string decode_windows1252(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      out += ch;
    } else {
      append_utf8(out, b < 0xA0 ? kWindows1252High[b - 0x80] : b);
    }
  }
  return out;
}

std::string decode_utf16(std::string_view bytes, bool little_endian) {
  std::string out;
  out.reserve(bytes.size());
  const auto unit = [&](size_t i) -> char32_t {
    const auto a = static_cast<unsigned char>(bytes[i]), b = static_cast<unsigned char>(bytes[i + 1]);
    return little_endian ? (b << 8 | a) : (a << 8 | b);
  };
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    char32_t cp = unit(i);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < bytes.size()) {
      const char32_t low = unit(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    append_utf8(out, cp);  // a lone surrogate becomes U+FFFD here
  }
  return out;
}

// The encoding="..." of an XML declaration at the very start; "" when absent.
std::string declared_xml_encoding(std::string_view text) {
  if (text.substr(0, 5) != "<?xml") return {};
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

const Label* find_label(std::string_view name) {
  for (const Label& label : kLabels)
    if (label.name == name) return &label;
  return nullptr;
}

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

DecodedDocument decode_document(std::string_view bytes, std::string_view content_type,
                                std::vector<std::string>& warnings) {
  DecodedDocument doc;
  const Label* label = nullptr;
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    bytes.remove_prefix(3);
    label = find_label("utf-8");
  } else if (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 4) == std::string_view("<\0?\0", 4)) {
    if (bytes.substr(0, 2) == "\xFF\xFE") bytes.remove_prefix(2);
    label = find_label("utf-16le");
  } else if (bytes.substr(0, 2) == "\xFE\xFF" || bytes.substr(0, 4) == std::string_view("\0<\0?", 4)) {
    if (bytes.substr(0, 2) == "\xFE\xFF") bytes.remove_prefix(2);
    label = find_label("utf-16be");
  } else {
    std::string declared = charset_of(content_type);
    if (declared.empty()) declared = declared_xml_encoding(bytes);
    if (!declared.empty()) {
      label = find_label(declared);
      if (!label) warnings.push_back("unsupported encoding '" + declared + "' read as utf-8");
    }
    if (!label) label = find_label("utf-8");
  }
  doc.encoding = std::string(label->reported);
  switch (label->decoder) {
    case Decoder::kWindows1252: doc.text = decode_windows1252(bytes); break;
    case Decoder::kUtf16Le: doc.text = decode_utf16(bytes, true); break;
    case Decoder::kUtf16Be: doc.text = decode_utf16(bytes, false); break;
    case Decoder::kUtf8:
      if (is_valid_utf8(bytes)) {
        doc.text = std::string(bytes);
      } else {
        doc.text = to_valid_utf8(bytes);
        warnings.push_back("invalid " + doc.encoding + " byte sequences replaced with U+FFFD");
      }
      break;
  }
  return doc;
}

}  // namespace feedd::parse
