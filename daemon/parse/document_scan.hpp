#pragma once
// One read of a document's bytes for the two questions every XML parse asks of them
// first: are they UTF-8 (decode_document), and has the cleaning pass (clean_xml_text)
// anything to do. Most documents are UTF-8 and need no cleaning, so for them the answer
// costs one SIMD scan that finds nothing, instead of a validation and a cleaning scan.

#include <string_view>

namespace feedd::parse {

struct DocumentScan {
  bool valid_utf8 = false;  // as is_valid_utf8
  // False only when clean_xml_text would return nullopt and add no warning, for `text`
  // and for every part of it cut at a '<' or at white space (what parse_feed hands on
  // after dropping leading junk and trimming): no C0 control character XML forbids, and
  // every '&' opens a reference kept_reference_length keeps. True when unsure.
  bool may_need_cleaning = true;
};

DocumentScan scan_document(std::string_view text);

}  // namespace feedd::parse
