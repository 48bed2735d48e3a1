#include "parse/field_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include "feedd/sanitize.hpp"
#include "parse/date_parser.hpp"
#include "parse/text.hpp"
#include "parse/url_resolver.hpp"

namespace feedd::parse {
namespace {

struct Candidate {
  size_t rule;  // index into the table
  pugi::xml_node node;
  size_t position;  // document order
};

// The candidates found in one entry or channel: a few dozen at most in any real feed, so
// kept inline without an allocation per entry (the fast path reads thousands of entries
// per document), on the heap past that.
class Candidates {
 public:
  void push_back(const Candidate& candidate) {
    if (size_ < kInline) {
      inline_[size_] = candidate;
    } else {
      if (heap_.empty()) heap_.assign(inline_.begin(), inline_.end());
      heap_.push_back(candidate);
    }
    ++size_;
  }
  size_t size() const { return size_; }
  Candidate* begin() { return size_ <= kInline ? inline_.data() : heap_.data(); }
  Candidate* end() { return begin() + size_; }
  const Candidate* begin() const { return size_ <= kInline ? inline_.data() : heap_.data(); }
  const Candidate* end() const { return begin() + size_; }
  const Candidate& operator[](size_t i) const { return begin()[i]; }

 private:
  static constexpr size_t kInline = 32;
  std::array<Candidate, kInline> inline_;
  std::vector<Candidate> heap_;
  size_t size_ = 0;
};

// By rank, and among equal ranks the earlier element first (a stable sort). Insertion sort
// for the usual handful: std::stable_sort would allocate its buffer.
template <typename Field>
void sort_by_rank(Candidates& found, std::span<const FieldRule<Field>> rules) {
  const auto before = [&](const Candidate& a, const Candidate& b) { return rules[a.rule].rank < rules[b.rule].rank; };
  if (found.size() > 32) {
    std::stable_sort(found.begin(), found.end(), before);
    return;
  }
  Candidate* const first = found.begin();
  for (size_t i = 1; i < found.size(); ++i) {
    const Candidate moving = first[i];
    size_t j = i;
    for (; j > 0 && before(moving, first[j - 1]); --j) first[j] = first[j - 1];
    first[j] = moving;
  }
}

template <typename Field>
bool matches(const FieldRule<Field>& rule, Ns ns, std::string_view local) {
  const bool same_ns = rule.ns == ns || (rule.ns == Ns::kAtom10 && ns == Ns::kAtom03);
  return same_ns && rule.local_name == local;
}

template <typename Field>
Candidates candidates_in(std::span<const pugi::xml_node> containers, std::span<const FieldRule<Field>> rules) {
  Candidates found;
  // Resolving a namespace walks the ancestors: only for names some rule has.
  const auto named = [&](std::string_view local) {
    for (const auto& rule : rules)
      if (rule.local_name == local) return true;
    return local == "group";
  };
  for (pugi::xml_node container : containers) {
    // A child that declares no namespace of its own resolves its prefix through the
    // container alone: once per prefix, not once per child.
    std::array<std::pair<std::string_view, Ns>, 8> resolved{};
    size_t resolved_count = 0;
    const auto namespace_of = [&](pugi::xml_node child, std::string_view name) {
      for (pugi::xml_attribute attr : child.attributes())
        if (std::strncmp(attr.name(), "xmlns", 5) == 0) return ns_of(child);
      const std::string_view prefix = name.substr(0, name.size() - local_name(name).size());
      for (size_t k = 0; k < resolved_count; ++k)
        if (resolved[k].first == prefix) return resolved[k].second;
      const Ns ns = ns_of(child);
      if (resolved_count < resolved.size()) resolved[resolved_count++] = {prefix, ns};
      return ns;
    };
    for (pugi::xml_node child : container.children()) {
      if (child.type() != pugi::node_element) continue;
      const std::string_view local = local_name(child.name());
      if (!named(local)) continue;
      const Ns ns = namespace_of(child, child.name());
      for (size_t i = 0; i < rules.size(); ++i)
        if (matches(rules[i], ns, local)) found.push_back({i, child, found.size()});
      // A media:group only groups alternatives of one media object: its children count
      // as the item's own (the first of them wins for single-valued fields).
      if (ns == Ns::kMedia && local == "group")
        for (pugi::xml_node member : child.children()) {
          if (member.type() != pugi::node_element) continue;
          const std::string_view member_local = local_name(member.name());
          if (!named(member_local)) continue;
          const Ns member_ns = ns_of(member);
          for (size_t i = 0; i < rules.size(); ++i)
            if (matches(rules[i], member_ns, member_local)) found.push_back({i, member, found.size()});
        }
    }
  }
  sort_by_rank(found, rules);
  return found;
}

// The first value of `field` by rank, or every value in document order for list fields.
template <typename Field>
std::vector<FieldValue> values_of(Field field, bool all, const Candidates& found,
                                  std::span<const FieldRule<Field>> rules, const ReadContext& context) {
  std::vector<std::pair<size_t, FieldValue>> values;  // (document position, value)
  for (size_t i = 0; i < found.size(); ++i) {
    const FieldRule<Field>& rule = rules[found[i].rule];
    if (rule.field != field) continue;
    if (auto value = rule.read(context, found[i].node)) {
      values.emplace_back(found[i].position, std::move(*value));
      if (!all) break;
    }
  }
  if (all) std::stable_sort(values.begin(), values.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<FieldValue> out;
  for (auto& [position, value] : values) out.push_back(std::move(value));
  return out;
}

// values_of(field, false, ...)'s one value, without its vectors.
template <typename T, typename Field>
std::optional<T> first(Field field, const Candidates& found, std::span<const FieldRule<Field>> rules,
                       const ReadContext& context) {
  for (const Candidate& candidate : found) {
    const FieldRule<Field>& rule = rules[candidate.rule];
    if (rule.field != field) continue;
    if (auto value = rule.read(context, candidate.node)) return std::get<T>(std::move(*value));
  }
  return std::nullopt;
}

std::vector<std::string> distinct_strings(std::vector<FieldValue> values) {
  std::vector<std::string> out;
  for (FieldValue& value : values) {
    std::string& text = std::get<std::string>(value);
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
  }
  return out;
}

std::optional<FieldValue> non_empty(std::string text) {
  if (text.empty()) return std::nullopt;
  return FieldValue(std::move(text));
}

// Titles and names are plain text by contract, but feeds routinely put escaped markup or
// HTML entities in them; html_to_text handles both (and is a no-op without '<' or '&').
// What still spells a tag in the text is defused (sanitize.hpp).
std::optional<FieldValue> plain_from(std::string_view text) {
  return non_empty(defuse_tags(html_to_text(escape_stray_angle_brackets(text))));
}

// An HTML field longer than this is cut (at a character boundary, before sanitising, so
// the sanitiser still closes every tag) with a warning: no real entry needs more, and the
// cap bounds what one hostile document can make us allocate per field.
constexpr size_t kMaxHtmlBytes = 1 << 20;

std::string_view utf8_prefix(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::optional<FieldValue> sanitised_from(std::string_view html, const ReadContext& context, pugi::xml_node node) {
  if (html.size() > kMaxHtmlBytes) {
    if (context.warnings)
      context.warnings->push_back(context.label + ": <" + std::string(node.name()) + "> of " +
                                  std::to_string(html.size()) + " bytes cut to " + std::to_string(kMaxHtmlBytes));
    html = utf8_prefix(html, kMaxHtmlBytes);
  }
  return non_empty(std::string(trim(sanitize_html(html, base_of(node, context.document_url, context.page_base)))));
}

std::optional<std::int64_t> to_int64(std::string_view text) {
  text = trim(text);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// Links, enclosures and images are followed by readers as a click or a fetch: a
// javascript: or data: URL (however spelt) is dropped with a warning, like one in HTML.
std::optional<FieldValue> absolute_url(const ReadContext& context, pugi::xml_node node, std::string_view value) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  std::optional<std::string> url = safe_url(base_of(node, context.document_url, context.page_base), value);
  if (!url) {
    if (context.warnings)
      context.warnings->push_back(context.label + ": <" + std::string(node.name()) + "> URL with " +
                                  refused_scheme(value) + " dropped");
    return std::nullopt;
  }
  return FieldValue(std::move(*url));
}

enum class AtomTextType { kText, kHtml, kXhtml };

// Atom 1.0 says text/html/xhtml; Atom 0.3 says MIME types and a mode.
AtomTextType atom_text_type(pugi::xml_node node) {
  const std::string type = to_lower_ascii(trim(node.attribute("type").value()));
  if (type == "html" || type == "text/html") return AtomTextType::kHtml;
  if (type == "xhtml" || type == "application/xhtml+xml") return AtomTextType::kXhtml;
  return AtomTextType::kText;
}

// The markup an Atom text construct stands for.
std::optional<std::string> atom_markup(pugi::xml_node node) {
  if (iequals(node.attribute("mode").value(), "base64") || node.attribute("src")) return std::nullopt;
  switch (atom_text_type(node)) {
    case AtomTextType::kHtml:
      return has_element_children(node) ? inner_xml(node) : all_text(node);
    case AtomTextType::kXhtml: {
      pugi::xml_node div;
      for (pugi::xml_node child : node.children()) {
        if (child.type() == pugi::node_element) {
          div = local_name(child.name()) == "div" ? child : pugi::xml_node();
          break;
        }
      }
      return inner_xml(div ? div : node);
    }
    case AtomTextType::kText: {
      std::string escaped;
      for (char c : all_text(node)) {
        if (c == '&') escaped += "&amp;";
        else if (c == '<') escaped += "&lt;";
        else if (c == '>') escaped += "&gt;";
        else escaped += c;
      }
      return escaped;
    }
  }
  return std::nullopt;
}

// sy:updatePeriod (hourly, daily, weekly, monthly, yearly; default daily) divided by
// sy:updateFrequency (default 1), in minutes.
std::optional<int> update_period_minutes(const std::optional<std::string>& period,
                                         const std::optional<std::string>& frequency) {
  if (!period && !frequency) return std::nullopt;
  constexpr std::pair<std::string_view, int> kPeriods[] = {
      {"hourly", 60}, {"daily", 1440}, {"weekly", 10080}, {"monthly", 43200}, {"yearly", 525600}};
  int minutes = 1440;
  if (period) {
    const std::string name = to_lower_ascii(trim(*period));
    const auto* it = std::find_if(std::begin(kPeriods), std::end(kPeriods), [&](auto& p) { return p.first == name; });
    if (it == std::end(kPeriods)) return std::nullopt;
    minutes = it->second;
  }
  std::int64_t times = 1;
  if (frequency) {
    const auto n = to_int64(*frequency);
    if (!n || *n < 1) return std::nullopt;
    times = *n;
  }
  return static_cast<int>(std::max<std::int64_t>(1, minutes / times));
}

// "0 1 23 24" -> {0, 1, 23}: RSS says 0-23; 24 (some feeds count 1-24) is midnight.
std::vector<int> skip_hours(std::string_view text) {
  std::vector<int> hours;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find(' ', i), text.size());
    if (auto n = to_int64(text.substr(i, end - i)); n && *n <= 24) {
      const int hour = static_cast<int>(*n % 24);
      if (std::find(hours.begin(), hours.end(), hour) == hours.end()) hours.push_back(hour);
    }
    i = end + 1;
  }
  return hours;
}

// "monday Tuesday" -> {"Monday", "Tuesday"}; unknown names dropped.
std::vector<std::string> skip_days(std::string_view text) {
  constexpr std::string_view kDays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
  std::vector<std::string> days;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find(' ', i), text.size());
    const std::string_view word = text.substr(i, end - i);
    for (std::string_view day : kDays)
      if (iequals(day, word) && std::find(days.begin(), days.end(), day) == days.end()) days.emplace_back(day);
    i = end + 1;
  }
  return days;
}

}  // namespace

namespace readers {

std::optional<FieldValue> plain_text(const ReadContext&, pugi::xml_node node) {
  return plain_from(has_element_children(node) ? inner_xml(node) : all_text(node));
}

std::optional<FieldValue> trimmed(const ReadContext&, pugi::xml_node node) {
  return non_empty(std::string(trim(all_text(node))));
}

std::optional<FieldValue> url(const ReadContext& context, pugi::xml_node node) {
  return absolute_url(context, node, all_text(node));
}

std::optional<FieldValue> date(const ReadContext& context, pugi::xml_node node) {
  const std::string text(trim(all_text(node)));
  if (text.empty()) return std::nullopt;
  std::vector<std::string> unused;
  if (auto t = read_field_date(text, context.label, context.now, context.warnings ? *context.warnings : unused))
    return FieldValue(*t);
  return std::nullopt;
}

std::optional<FieldValue> html(const ReadContext& context, pugi::xml_node node) {
  if (has_element_children(node)) return sanitised_from(inner_xml(node), context, node);
  // The usual body is one text or CDATA node: read in place, not copied.
  const pugi::xml_node first = node.first_child();
  if (first && !first.next_sibling() && (first.type() == pugi::node_pcdata || first.type() == pugi::node_cdata))
    return sanitised_from(first.value(), context, node);
  return sanitised_from(all_text(node), context, node);
}

std::optional<FieldValue> permalink_guid(const ReadContext& context, pugi::xml_node node) {
  if (iequals(trim(node.attribute("isPermaLink").value()), "false")) return std::nullopt;
  const std::string text(trim(all_text(node)));
  // A guid that is not a URL cannot be a link, whatever isPermaLink says.
  if (url_scheme(text) != "http" && url_scheme(text) != "https") return std::nullopt;
  return absolute_url(context, node, text);
}

std::optional<FieldValue> rss_author(const ReadContext&, pugi::xml_node node) {
  std::optional<FieldValue> plain = plain_from(all_text(node));
  if (!plain) return std::nullopt;
  std::string text = std::get<std::string>(std::move(*plain));
  const size_t open = text.find(" (");
  if (open != std::string::npos && text.back() == ')' && text.substr(0, open).find('@') != std::string::npos)
    text = std::string(trim(text.substr(open + 2, text.size() - open - 3)));
  return non_empty(std::move(text));
}

std::optional<FieldValue> rss_enclosure(const ReadContext& context, pugi::xml_node node) {
  auto location = absolute_url(context, node, node.attribute("url").value());
  if (!location) return std::nullopt;
  Enclosure enclosure{std::get<std::string>(*location), std::nullopt, to_int64(node.attribute("length").value())};
  if (const std::string_view type = trim(node.attribute("type").value()); !type.empty()) enclosure.type = type;
  return FieldValue(std::move(enclosure));
}

std::optional<FieldValue> rss_image(const ReadContext& context, pugi::xml_node node) {
  for (pugi::xml_node child : node.children())
    if (local_name(child.name()) == "url") return url(context, child);
  return absolute_url(context, node, attribute_by_local_name(node, "resource").value());
}

std::optional<FieldValue> atom_text_plain(const ReadContext&, pugi::xml_node node) {
  if (atom_text_type(node) == AtomTextType::kText && !has_element_children(node))
    return non_empty(defuse_tags(collapse_whitespace(all_text(node))));
  const auto markup = atom_markup(node);
  return markup ? plain_from(*markup) : std::nullopt;
}

std::optional<FieldValue> atom_text_html(const ReadContext& context, pugi::xml_node node) {
  const auto markup = atom_markup(node);
  return markup ? sanitised_from(*markup, context, node) : std::nullopt;
}

std::optional<FieldValue> atom_alternate_link(const ReadContext& context, pugi::xml_node node) {
  const std::string_view rel = trim(node.attribute("rel").value());
  if (!rel.empty() && rel != "alternate") return std::nullopt;
  return absolute_url(context, node, node.attribute("href").value());
}

std::optional<FieldValue> atom_enclosure(const ReadContext& context, pugi::xml_node node) {
  if (trim(node.attribute("rel").value()) != "enclosure") return std::nullopt;
  auto location = absolute_url(context, node, node.attribute("href").value());
  if (!location) return std::nullopt;
  Enclosure enclosure{std::get<std::string>(*location), std::nullopt, to_int64(node.attribute("length").value())};
  if (const std::string_view type = trim(node.attribute("type").value()); !type.empty()) enclosure.type = type;
  return FieldValue(std::move(enclosure));
}

std::optional<FieldValue> atom_html_alternate_link(const ReadContext& context, pugi::xml_node node) {
  const std::string type = to_lower_ascii(trim(node.attribute("type").value()));
  if (!type.empty() && type != "text/html" && type != "application/xhtml+xml") return std::nullopt;
  return atom_alternate_link(context, node);
}

std::optional<FieldValue> atom_content_src(const ReadContext& context, pugi::xml_node node) {
  return absolute_url(context, node, node.attribute("src").value());
}

std::optional<FieldValue> media_content(const ReadContext& context, pugi::xml_node node) {
  auto location = absolute_url(context, node, node.attribute("url").value());
  if (!location) return std::nullopt;
  Enclosure enclosure{std::get<std::string>(*location), std::nullopt, to_int64(node.attribute("fileSize").value())};
  if (const std::string_view type = trim(node.attribute("type").value()); !type.empty()) enclosure.type = type;
  return FieldValue(std::move(enclosure));
}

std::optional<FieldValue> media_text_plain(const ReadContext&, pugi::xml_node node) {
  if (iequals(trim(node.attribute("type").value()), "html")) return plain_from(all_text(node));
  return non_empty(defuse_tags(collapse_whitespace(all_text(node))));
}

std::optional<FieldValue> media_text_html(const ReadContext& context, pugi::xml_node node) {
  if (iequals(trim(node.attribute("type").value()), "html")) return sanitised_from(all_text(node), context, node);
  return plain_as_html(context, node);
}

std::optional<FieldValue> url_attribute(const ReadContext& context, pugi::xml_node node) {
  return absolute_url(context, node, node.attribute("url").value());
}

std::optional<FieldValue> href_attribute(const ReadContext& context, pugi::xml_node node) {
  return absolute_url(context, node, node.attribute("href").value());
}

std::optional<FieldValue> plain_as_html(const ReadContext& context, pugi::xml_node node) {
  std::string escaped;
  for (char c : all_text(node)) {
    if (c == '&') escaped += "&amp;";
    else if (c == '<') escaped += "&lt;";
    else if (c == '>') escaped += "&gt;";
    else escaped += c;
  }
  return sanitised_from(escaped, context, node);
}

std::optional<FieldValue> child_texts(const ReadContext&, pugi::xml_node node) {
  std::string joined;
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string text = collapse_whitespace(all_text(child));
    if (text.empty()) continue;
    if (!joined.empty()) joined += ' ';
    joined += text;
  }
  return non_empty(std::move(joined));
}

std::optional<FieldValue> atom_person(const ReadContext&, pugi::xml_node node) {
  for (std::string_view part : {"name", "email"})
    for (pugi::xml_node child : node.children())
      if (local_name(child.name()) == part)
        if (auto text = plain_from(all_text(child))) return text;
  return std::nullopt;
}

std::optional<FieldValue> atom_category(const ReadContext&, pugi::xml_node node) {
  if (auto label = plain_from(node.attribute("label").value())) return label;
  return plain_from(node.attribute("term").value());
}

}  // namespace readers

Entry read_entry(pugi::xml_node item, std::span<const FieldRule<EntryField>> rules, const ReadContext& context) {
  const pugi::xml_node containers[] = {item};
  const Candidates found = candidates_in(std::span<const pugi::xml_node>(containers), rules);
  Entry entry;
  entry.id = first<std::string>(EntryField::kId, found, rules, context);
  entry.title = first<std::string>(EntryField::kTitle, found, rules, context);
  entry.link = first<std::string>(EntryField::kLink, found, rules, context);
  entry.published = first<Timestamp>(EntryField::kPublished, found, rules, context);
  entry.updated = first<Timestamp>(EntryField::kUpdated, found, rules, context);
  entry.authors = distinct_strings(values_of(EntryField::kAuthor, true, found, rules, context));
  entry.summary = first<std::string>(EntryField::kSummary, found, rules, context);
  entry.content = first<std::string>(EntryField::kContent, found, rules, context);
  entry.categories = distinct_strings(values_of(EntryField::kCategory, true, found, rules, context));
  // The same file as <enclosure> and media:content is one enclosure; the first wins.
  for (FieldValue& value : values_of(EntryField::kEnclosure, true, found, rules, context)) {
    Enclosure enclosure = std::get<Enclosure>(std::move(value));
    const bool seen = std::any_of(entry.enclosures.begin(), entry.enclosures.end(),
                                  [&](const Enclosure& e) { return e.url == enclosure.url; });
    if (!seen) entry.enclosures.push_back(std::move(enclosure));
  }
  return entry;
}

Entry read_identity_fields(pugi::xml_node item, std::span<const FieldRule<EntryField>> all_rules,
                          const ReadContext& context, std::string_view fallback_id) {
  // Only the identity rows, so that the other children cost one name comparison each.
  std::array<FieldRule<EntryField>, 32> kept{};
  size_t count = 0;
  for (const auto& rule : all_rules) {
    const EntryField f = rule.field;
    const bool identity = f == EntryField::kId || f == EntryField::kLink || f == EntryField::kTitle ||
                          f == EntryField::kPublished || f == EntryField::kUpdated;
    if (identity && count < kept.size()) kept[count++] = rule;
  }
  const std::span<const FieldRule<EntryField>> rules(kept.data(), count);
  const pugi::xml_node containers[] = {item};
  const Candidates found = candidates_in(std::span<const pugi::xml_node>(containers), rules);
  Entry entry;
  entry.id = first<std::string>(EntryField::kId, found, rules, context);
  if (!entry.id && !fallback_id.empty()) entry.id = std::string(fallback_id);
  if (entry.id) return entry;
  entry.link = first<std::string>(EntryField::kLink, found, rules, context);
  if (entry.link) return entry;
  entry.title = first<std::string>(EntryField::kTitle, found, rules, context);
  entry.published = first<Timestamp>(EntryField::kPublished, found, rules, context);
  entry.updated = first<Timestamp>(EntryField::kUpdated, found, rules, context);
  return entry;
}

std::optional<std::string_view> id_in_place(pugi::xml_node item, std::span<const FieldRule<EntryField>> all_rules) {
  std::array<FieldRule<EntryField>, 8> kept{};
  size_t count = 0;
  for (const auto& rule : all_rules)
    if (rule.field == EntryField::kId && count < kept.size()) kept[count++] = rule;
  const std::span<const FieldRule<EntryField>> rules(kept.data(), count);
  const pugi::xml_node containers[] = {item};
  // The candidates in the order read_identity_fields tries them.
  for (const Candidate& candidate : candidates_in(std::span<const pugi::xml_node>(containers), rules)) {
    if (rules[candidate.rule].read != readers::trimmed) return std::nullopt;
    const pugi::xml_node text = candidate.node.first_child();
    if (!text) continue;  // empty: no value, the next candidate is tried
    if (text.next_sibling() || (text.type() != pugi::node_pcdata && text.type() != pugi::node_cdata))
      return std::nullopt;
    if (const std::string_view id = trim(text.value()); !id.empty()) return id;
  }
  return std::nullopt;
}

FeedMeta read_feed_meta(std::span<const pugi::xml_node> containers, std::span<const FieldRule<FeedField>> rules,
                        ReadContext context) {
  const Candidates found = candidates_in(containers, rules);
  FeedMeta meta;
  meta.link = first<std::string>(FeedField::kLink, found, rules, context);
  if (meta.link && !url_scheme(*meta.link).empty()) context.page_base = *meta.link;
  meta.title = first<std::string>(FeedField::kTitle, found, rules, context);
  meta.description = first<std::string>(FeedField::kDescription, found, rules, context);
  meta.language = first<std::string>(FeedField::kLanguage, found, rules, context);
  meta.updated = first<Timestamp>(FeedField::kUpdated, found, rules, context);
  meta.image = first<std::string>(FeedField::kImage, found, rules, context);
  if (auto ttl = first<std::string>(FeedField::kTtl, found, rules, context)) {
    if (auto minutes = to_int64(*ttl); minutes && *minutes <= std::numeric_limits<int>::max())
      meta.ttl_minutes = static_cast<int>(*minutes);
  }
  meta.update_period_minutes = update_period_minutes(first<std::string>(FeedField::kUpdatePeriod, found, rules, context),
                                                     first<std::string>(FeedField::kUpdateFrequency, found, rules, context));
  if (auto hours = first<std::string>(FeedField::kSkipHours, found, rules, context)) meta.skip_hours = skip_hours(*hours);
  if (auto days = first<std::string>(FeedField::kSkipDays, found, rules, context)) meta.skip_days = skip_days(*days);
  return meta;
}

}  // namespace feedd::parse
