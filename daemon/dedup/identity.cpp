// An entry's identity inside its source, and what to do with an entry given what the
// store knows (ARCHITECTURE.md, "What is a story").

#include <string>

#include "dedup/sha256.hpp"
#include "feedd/dedup.hpp"

namespace feedd::dedup {

std::string entry_identity(const Entry& entry) {
  if (entry.id && !entry.id->empty()) return *entry.id;
  if (entry.link && !entry.link->empty()) return canonical_url(*entry.link);
  // Neither id nor link: the title and date are all that tells two entries apart. An
  // entry with neither falls back on its content, so an edit makes it a new entry.
  std::string material = entry.title.value_or("");
  material.push_back('\n');
  if (entry.published) material += format_rfc3339(*entry.published);
  else if (entry.updated) material += format_rfc3339(*entry.updated);
  if (!entry.title && !entry.published && !entry.updated) material += entry.content_hash;
  return "hash:" + sha256_hex(material).substr(0, 32);
}

Decision decide(const std::string& content_hash, const Known& known) {
  if (known.hash_for_identity) {
    return *known.hash_for_identity == content_hash ? Decision::kUnchanged : Decision::kChanged;
  }
  return known.hash_known ? Decision::kNewCopy : Decision::kNewStory;
}

}  // namespace feedd::dedup
