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
  // and for `text` without white space at either end: no C0 control character XML
  // forbids, and every '&' opens a reference kept_reference_length keeps or sits in a
  // CDATA section, comment or processing instruction. (Not for a part of `text` cut
  // elsewhere: a comment opened before the cut would end where the cut part does not
  // know.) True when unsure.
  bool may_need_cleaning = true;
};

// Which code does the scan: the best the CPU has, or (for tests, which must cover every
// kernel whatever machine they run on) a given one; one the CPU lacks gives the next
// below it. Every kernel gives the same answer.
enum class ScanKernel { kBest, kAvx2, kSsse3, kScalar };

DocumentScan scan_document(std::string_view text, ScanKernel kernel = ScanKernel::kBest);

}  // namespace feedd::parse
