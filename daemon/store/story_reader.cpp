// Reading the unified feed's stories: pages newest first with their sources, counts.
#include <charconv>
#include <limits>
#include <unordered_map>

#include "feedd/store.hpp"
#include "store/json_columns.hpp"
#include "store/store_impl.hpp"

namespace feedd {

namespace {

using db::Statement;
using store_detail::Dialect;
using store_detail::in_context;
using store_detail::sql_limit;

// One page of stories, newest first, strictly older than the cursor (?2, ?3): a row-value
// comparison, so the index stories_newest_first seeks straight to the cursor.
// ?4 (NULL for all) keeps the stories carried by a source tagged so; tags are a JSON array,
// which each backend unpacks its own way.
std::string stories_page_sql(Dialect dialect) {
  const char* tags = dialect == Dialect::kPostgres ? "json_array_elements_text(CAST(s.tags AS JSON)) AS t(value)"
                                                    : "json_each(s.tags) AS t";
  return std::string(
             "SELECT id, uid, content_hash, title, link, summary, content, authors, categories, enclosures,"
             " published, updated, first_seen, sort_time FROM stories"
             " WHERE (sort_time, id) < (?2, ?3)"
             "   AND (CAST(?4 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM entries e JOIN sources s ON s.id = e.source_id,"
             "        ") +
         tags + " WHERE e.story_id = stories.id AND t.value = ?4))" + " ORDER BY sort_time DESC, id DESC LIMIT ?1";
}

// Every source of the stories whose ids are in the JSON array ?1, in one query. A source
// that carried one story under two identities is listed once (its earliest entry). The
// origin first, then by when each source first carried it. SQLite takes the earliest
// entry's columns from the MIN() row; PostgreSQL has no such rule and says DISTINCT ON.
std::string story_sources_sql(Dialect dialect) {
  if (dialect == Dialect::kPostgres) {
    return "SELECT story_id, url, title, feed_title, entry_link, first_seen, is_origin, merge_reason FROM ("
           " SELECT DISTINCT ON (e.story_id, e.source_id) e.story_id, s.url, s.title, s.feed_title, e.entry_link,"
           "        e.first_seen, e.source_id = st.origin_source_id AS is_origin, e.merge_reason, e.source_id"
           " FROM stories st"
           " JOIN entries e ON e.story_id = st.id"
           " JOIN sources s ON s.id = e.source_id"
           " WHERE st.id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(?1 AS JSON)) AS t(value))"
           " ORDER BY e.story_id, e.source_id, e.first_seen, e.identity) AS earliest"
           " ORDER BY story_id, is_origin DESC, first_seen, source_id";
  }
  return "SELECT e.story_id, s.url, s.title, s.feed_title, e.entry_link, MIN(e.first_seen),"
         "       e.source_id = st.origin_source_id AS is_origin, e.merge_reason"
         " FROM stories st"
         " JOIN entries e ON e.story_id = st.id"
         " JOIN sources s ON s.id = e.source_id"
         " WHERE st.id IN (SELECT value FROM json_each(?1))"
         " GROUP BY e.story_id, e.source_id"
         " ORDER BY e.story_id, is_origin DESC, MIN(e.first_seen), e.source_id";
}

Story read_story(const Statement& row) {
  Story story;
  story.id = row.column_int64(0);
  story.uid = row.column_text(1);
  story.content_hash = row.column_text(2);
  story.title = row.column_optional_text(3);
  story.link = row.column_optional_text(4);
  story.summary = row.column_optional_text(5);
  story.content = row.column_optional_text(6);
  story.authors = db::strings_from_json(row.column_text(7));
  story.categories = db::strings_from_json(row.column_text(8));
  story.enclosures = db::enclosures_from_json(row.column_text(9));
  story.published = row.column_optional_time(10);
  story.updated = row.column_time(11);
  story.first_seen = row.column_time(12);
  story.sort_time = row.column_time(13);
  return story;
}

StorySource read_story_source(const Statement& row) {
  SourceState names;
  names.url = row.column_text(1);
  names.title = row.column_optional_text(2);
  names.feed_title = row.column_optional_text(3);
  StorySource source;
  source.url = names.url;
  source.name = names.display_name();
  source.entry_link = row.column_optional_text(4);
  source.first_seen = row.column_time(5);
  // The origin's own entry may carry a reason from an earlier story it once joined.
  if (row.column_int64(6) == 0) source.merge_reason = row.column_optional_text(7);
  return source;
}

std::string ids_json(const std::vector<Story>& stories) {
  std::string json = "[";
  for (const Story& story : stories) {
    if (json.size() > 1) json += ',';
    json += std::to_string(story.id);
  }
  return json + "]";
}

}  // namespace

Status Store::Impl::attach_sources(std::vector<Story>& stories) {
  std::unordered_map<std::int64_t, Story*> by_id;
  for (Story& story : stories) by_id.emplace(story.id, &story);
  static const std::string kSqlite = story_sources_sql(Dialect::kSqlite);
  static const std::string kPostgres = story_sources_sql(Dialect::kPostgres);
  auto stmt = statement(dialect() == Dialect::kPostgres ? kPostgres : kSqlite);
  if (!stmt.ok()) return stmt.status();
  (*stmt)->bind(1, ids_json(stories));
  for (;;) {
    auto row = (*stmt)->step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::ok();
    auto story = by_id.find((*stmt)->column_int64(0));
    if (story != by_id.end()) story->second->sources.push_back(read_story_source(**stmt));
  }
}

Result<std::vector<Story>> Store::newest_stories(std::size_t limit) {
  StoryQuery query;
  query.limit = limit;
  auto page = stories_page(query);
  if (!page.ok()) return page.status();
  return std::move(page->stories);
}

Result<StoryPage> Store::stories_page(const StoryQuery& query) {
  const std::string doing = "listing stories";
  StoryPage page;
  if (query.limit == 0) return page;
  // One snapshot for both queries, so a writer on another connection can't slip a story
  // in between the stories and their sources.
  auto txn = impl_->begin(db::Transaction::Mode::kRead);
  if (!txn.ok()) return in_context(doing, txn.status());
  {
    static const std::string kSqlite = stories_page_sql(Dialect::kSqlite);
    static const std::string kPostgres = stories_page_sql(Dialect::kPostgres);
    auto stmt = impl_->statement(impl_->dialect() == Dialect::kPostgres ? kPostgres : kSqlite);
    if (!stmt.ok()) return in_context(doing, stmt.status());
    const StoryCursor before = query.before.value_or(
        StoryCursor{std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max()});
    // One more than asked: its presence says whether a next page exists.
    (*stmt)->bind(1, sql_limit(query.limit) == std::numeric_limits<std::int64_t>::max() ? sql_limit(query.limit)
                                                                                       : sql_limit(query.limit) + 1)
        .bind(2, before.sort_time)
        .bind(3, before.id)
        .bind(4, query.tag);
    for (;;) {
      auto row = (*stmt)->step();
      if (!row.ok()) return in_context(doing, row.status());
      if (!*row) break;
      page.stories.push_back(read_story(**stmt));
    }
  }
  if (page.stories.size() > query.limit) {
    page.stories.resize(query.limit);
    const Story& last = page.stories.back();
    page.next = StoryCursor{last.sort_time.time_since_epoch().count(), last.id};
  }
  Status status = impl_->attach_sources(page.stories);
  if (!status.is_ok()) return in_context(doing, status);
  status = txn->commit();
  if (!status.is_ok()) return in_context(doing, status);
  return page;
}

Result<std::int64_t> Store::story_count() {
  auto stmt = impl_->statement("SELECT COUNT(*) FROM stories");
  if (!stmt.ok()) return in_context("counting stories", stmt.status());
  auto row = (*stmt)->step();
  if (!row.ok()) return in_context("counting stories", row.status());
  return (*stmt)->column_int64(0);
}

Result<std::vector<std::pair<Timestamp, std::int64_t>>> Store::stories_per_day(Timestamp since) {
  auto stmt = impl_->statement(
      "SELECT first_seen / 86400, COUNT(*) FROM stories WHERE first_seen >= ?1 GROUP BY 1 ORDER BY 1");
  if (!stmt.ok()) return in_context("counting stories per day", stmt.status());
  (*stmt)->bind(1, since);
  std::vector<std::pair<Timestamp, std::int64_t>> days;
  while (true) {
    auto row = (*stmt)->step();
    if (!row.ok()) return in_context("counting stories per day", row.status());
    if (!*row) break;
    days.emplace_back(Timestamp(std::chrono::seconds((*stmt)->column_int64(0) * 86400)), (*stmt)->column_int64(1));
  }
  return days;
}

std::string StoryCursor::to_string() const { return std::to_string(sort_time) + "-" + std::to_string(id); }

std::optional<StoryCursor> StoryCursor::parse(std::string_view text) {
  // sort_time may be negative (a story dated before 1970), so the separator is the last '-'.
  const std::size_t dash = text.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  StoryCursor cursor;
  const auto read = [](std::string_view digits, std::int64_t& out) {
    if (digits.empty()) return false;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size();
  };
  if (!read(text.substr(0, dash), cursor.sort_time) || !read(text.substr(dash + 1), cursor.id)) return std::nullopt;
  return cursor;
}

}  // namespace feedd
