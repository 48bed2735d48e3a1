// A store as a portable dump and back (Store::export_dump, Store::import_dump): JSON Lines
// that neither SQLite nor PostgreSQL own, so a store moves between the two.
//
//   {"format":"feedd-dump","format_version":1,"schema_version":4,"feedd_version":"0.1.0","counts":{...}}
//   {"table":"sources","row":{"id":1,"url":"https://...",...}}
//   ...
//   {"end":"feedd-dump","counts":{"sources":3,...}}
//
// Every statement here is in the subset both engines accept (?N parameters, no PRAGMA, no
// sqlite_master); the one that must differ is branched on Impl::dialect().
#include <functional>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "feedd/store.hpp"
#include "store/sqlite.hpp"
#include "store/store_impl.hpp"

namespace feedd {

namespace {

using db::Statement;
using db::Transaction;
using nlohmann::json;
using nlohmann::ordered_json;
using store_detail::Dialect;
using store_detail::in_context;

constexpr std::string_view kFormat = "feedd-dump";
constexpr int kFormatVersion = 1;

enum class ColumnType { kInteger, kText };

struct Column {
  const char* name;
  ColumnType type;
};

struct Table {
  const char* name;
  const char* order_by;  // a stable order, so two dumps of one store are the same bytes
  std::vector<Column> columns;
};

constexpr ColumnType kInt = ColumnType::kInteger;
constexpr ColumnType kText = ColumnType::kText;

// Every table of the newest schema (migrations.cpp) but schema_migrations, parents before
// the tables that refer to them. A migration that adds a table or a column adds it here;
// the [store-dump] test that compares this with the schema fails until it does.
const std::vector<Table>& dump_tables() {
  static const std::vector<Table> tables = {
      {"sources", "id",
       {{"id", kInt}, {"url", kText}, {"title", kText}, {"tags", kText}, {"feed_title", kText},
        {"etag", kText}, {"last_modified", kText}, {"last_fetch", kInt}, {"last_success", kInt},
        {"http_status", kInt}, {"consecutive_failures", kInt}, {"last_error", kText},
        {"current_url", kText}, {"redirect_candidate", kText}, {"gone", kInt}, {"body_hash", kText},
        {"next_fetch", kInt}, {"lease_holder", kText}, {"lease_expires", kInt}}},
      {"stories", "id",
       {{"id", kInt}, {"uid", kText}, {"content_hash", kText}, {"title", kText}, {"link", kText},
        {"summary", kText}, {"content", kText}, {"authors", kText}, {"categories", kText},
        {"enclosures", kText}, {"published", kInt}, {"updated", kInt}, {"first_seen", kInt},
        {"sort_time", kInt}, {"origin_source_id", kInt}, {"band_keys", kText}}},
      {"entries", "source_id, identity",
       {{"source_id", kInt}, {"identity", kText}, {"story_id", kInt}, {"content_hash", kText},
        {"entry_link", kText}, {"first_seen", kInt}, {"merge_reason", kText}, {"raw_hash", kText}}},
      {"story_band_keys", "story_id, band_key", {{"band_key", kInt}, {"story_id", kInt}}},
      {"pruned_entries", "source_id, identity", {{"source_id", kInt}, {"identity", kText}}},
      {"pruned_hashes", "content_hash", {{"content_hash", kText}}},
      // What several daemons share (migration 5): which daemon runs counted how many story
      // changes, and each host's spacing and Retry-After hold, so politeness survives a move.
      {"daemons", "id", {{"id", kText}, {"started", kInt}, {"changes", kInt}}},
      {"hosts", "host", {{"host", kText}, {"next_start_ms", kInt}, {"held_until_ms", kInt}}},
  };
  return tables;
}

const Table* find_table(std::string_view name, std::size_t& index) {
  // Dumps written before schema 6 name the band index by its old table.
  if (name == "story_bands") name = "story_band_keys";
  const auto& tables = dump_tables();
  for (index = 0; index < tables.size(); ++index) {
    if (name == tables[index].name) return &tables[index];
  }
  return nullptr;
}

const Column* find_column(const Table& table, std::string_view name) {
  for (const Column& column : table.columns) {
    if (name == column.name) return &column;
  }
  return nullptr;
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? c : c & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

// JSON strings are UTF-8; a value that is not (an ETag header as a server sent it) is
// written as {"hex": "..."} so that its bytes survive the trip.
ordered_json text_value(std::string text) {
  if (valid_utf8(text)) return text;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : text) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xF];
  }
  return ordered_json{{"hex", hex}};
}

std::optional<std::string> from_hex(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = digit(hex[i]), low = digit(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

std::string select_sql(const Table& table) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < table.columns.size(); ++i) sql += (i ? ", " : "") + std::string(table.columns[i].name);
  return sql + " FROM " + table.name + " ORDER BY " + table.order_by;
}

ordered_json read_row(const Table& table, const Statement& row) {
  ordered_json out = ordered_json::object();
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    const Column& column = table.columns[i];
    const int index = static_cast<int>(i);
    if (row.column_is_null(index)) {
      out[column.name] = nullptr;
    } else if (column.type == kInt) {
      out[column.name] = row.column_int64(index);
    } else {
      out[column.name] = text_value(row.column_text(index));
    }
  }
  return out;
}

Status write_line(std::ostream& out, const ordered_json& line) {
  out << line.dump() << '\n';
  if (!out) return Status::io("writing the dump failed (the output is incomplete)");
  return Status::ok();
}

ordered_json counts_json(const DumpStats& stats) {
  ordered_json counts = ordered_json::object();
  for (const auto& [table, rows] : stats.rows) counts[table] = rows;
  return counts;
}

Status dump_error(std::size_t line, const std::string& what) {
  return Status::parse("line " + std::to_string(line) + ": " + what + "; nothing was imported");
}

// The counts object of a header or trailer, as DumpStats rows in the dump's table order.
Result<DumpStats> read_counts(const json& counts, std::size_t line) {
  if (!counts.is_object()) return dump_error(line, "no \"counts\" object");
  DumpStats stats;
  for (const auto& [name, rows] : counts.items()) {
    std::size_t index = 0;
    if (!find_table(name, index)) return dump_error(line, "unknown table '" + name + "' in the counts");
    if (!rows.is_number_integer() || rows.get<std::int64_t>() < 0) {
      return dump_error(line, "the count of " + name + " is not a number of rows");
    }
  }
  for (const Table& table : dump_tables()) {
    auto found = counts.find(table.name);
    if (found == counts.end() && std::string_view(table.name) == "story_band_keys") found = counts.find("story_bands");
    stats.rows.emplace_back(table.name, found == counts.end() ? 0 : found->get<std::int64_t>());
  }
  return stats;
}

}  // namespace

std::int64_t DumpStats::count(std::string_view table) const {
  for (const auto& [name, n] : rows) {
    if (name == table) return n;
  }
  return 0;
}

std::string DumpStats::to_string() const {
  std::string text;
  for (const auto& [name, n] : rows) {
    std::string words = name;
    for (char& c : words) c = c == '_' ? ' ' : c;
    text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + words;
  }
  return text;
}

Result<DumpStats> Store::export_dump(std::ostream& out) {
  const std::string doing = "exporting the store";
  // One snapshot for the counts and every row. On PostgreSQL this needs the read
  // transaction to be REPEATABLE READ: under READ COMMITTED each statement sees its own.
  auto txn = impl_->begin(Transaction::Mode::kRead);
  if (!txn.ok()) return in_context(doing, txn.status());
  DumpStats stats;
  stats.schema_version = impl_->schema_version;
  for (const Table& table : dump_tables()) {
    auto count = impl_->statement(std::string("SELECT COUNT(*) FROM ") + table.name);
    if (!count.ok()) return in_context(doing, count.status());
    auto row = (*count)->step();
    if (!row.ok()) return in_context(doing, row.status());
    stats.rows.emplace_back(table.name, (*count)->column_int64(0));
  }
  ordered_json header = {{"format", kFormat},
                         {"format_version", kFormatVersion},
                         {"schema_version", stats.schema_version},
                         {"feedd_version", FEEDD_VERSION},
                         {"counts", counts_json(stats)}};
  if (Status s = write_line(out, header); !s.is_ok()) return s;
  for (const Table& table : dump_tables()) {
    auto stmt = impl_->statement(select_sql(table));
    if (!stmt.ok()) return in_context(doing, stmt.status());
    std::int64_t written = 0;
    for (;;) {
      auto row = (*stmt)->step();
      if (!row.ok()) return in_context(doing, row.status());
      if (!*row) break;
      ordered_json line = {{"table", table.name}, {"row", read_row(table, **stmt)}};
      if (Status s = write_line(out, line); !s.is_ok()) return s;
      ++written;
    }
    if (written != stats.count(table.name)) {
      return Status::database(doing + ": " + table.name + " changed while it was read (not one snapshot)");
    }
  }
  if (Status s = write_line(out, ordered_json{{"end", kFormat}, {"counts", counts_json(stats)}}); !s.is_ok()) return s;
  out.flush();
  if (!out) return Status::io("writing the dump failed (the output is incomplete)");
  if (Status s = txn->commit(); !s.is_ok()) return in_context(doing, s);
  return stats;
}

namespace {

using StatementSource = std::function<Result<db::StatementLease>(std::string_view sql)>;

// Reads a dump and inserts its rows: one object per import, so that each step of the
// reading is a small function and the line number travels with it.
class DumpLoader {
 public:
  // `statement` is Impl::statement; `schema_version` the store's.
  DumpLoader(StatementSource statement, int schema_version, std::istream& in)
      : statement_(std::move(statement)), schema_version_(schema_version), in_(in) {}

  Result<DumpStats> load() {
    // A field of the wrong type (value() of a number where text belongs) throws.
    try {
      return load_lines();
    } catch (const json::exception& e) {
      return dump_error(line_, std::string("damaged (") + e.what() + ")");
    }
  }

 private:
  Result<DumpStats> load_lines() {
    if (Status s = next_line(); !s.is_ok()) return s;
    if (Status s = check_header(line_json_); !s.is_ok()) return s;
    for (;;) {
      if (Status s = next_line(); !s.is_ok()) return s;
      if (line_json_.contains("end")) break;
      if (Status s = insert(line_json_); !s.is_ok()) return s;
    }
    if (Status s = check_trailer(); !s.is_ok()) return s;
    for (std::string rest; std::getline(in_, rest);) {
      ++line_;
      if (!rest.empty()) return dump_error(line_, "a line after the trailer");
    }
    return expected_;
  }

  // The next line as a JSON object, into line_json_; a missing line means the dump was
  // cut short.
  Status next_line() {
    std::string text;
    if (!std::getline(in_, text)) {
      if (line_ == 0) return Status::parse("the dump is empty; nothing was imported");
      return dump_error(line_, "the dump ends here without its trailer (it is truncated)");
    }
    ++line_;
    try {
      line_json_ = json::parse(text);
    } catch (const json::parse_error& e) {
      return dump_error(line_, "damaged (not JSON, at byte " + std::to_string(e.byte) + ")");
    }
    if (!line_json_.is_object()) return dump_error(line_, "damaged (not a JSON object)");
    return Status::ok();
  }

  Status check_header(const json& header) {
    if (header.value("format", "") != kFormat) return dump_error(line_, "not a feedd dump (no \"format\": \"feedd-dump\")");
    const auto version = header.find("format_version");
    const auto schema = header.find("schema_version");
    if (version == header.end() || !version->is_number_integer() || schema == header.end() ||
        !schema->is_number_integer()) {
      return dump_error(line_, "the header has no format_version or schema_version");
    }
    const std::string written_by = "written by feedd " + header.value("feedd_version", std::string("?"));
    if (version->get<int>() > kFormatVersion) {
      return Status::invalid_argument("the dump's format version " + std::to_string(version->get<int>()) + " (" +
                                      written_by + ") is newer than this feedd reads (" +
                                      std::to_string(kFormatVersion) + "); nothing was imported");
    }
    if (schema->get<int>() > schema_version_) {
      return Status::invalid_argument("the dump is of schema version " + std::to_string(schema->get<int>()) + " (" +
                                      written_by + "), newer than this feedd knows (" +
                                      std::to_string(schema_version_) +
                                      "): import it with that feedd or a newer one; nothing was imported");
    }
    auto counts = read_counts(header.value("counts", json()), line_);
    if (!counts.ok()) return counts.status();
    expected_ = std::move(counts).value();
    expected_.schema_version = schema->get<int>();
    for (const auto& [name, n] : expected_.rows) read_.emplace_back(name, 0);
    return Status::ok();
  }

  Status check_trailer() {
    if (line_json_.value("end", "") != kFormat) return dump_error(line_, "a trailer that is not feedd-dump's");
    auto counts = read_counts(line_json_.value("counts", json()), line_);
    if (!counts.ok()) return counts.status();
    for (std::size_t i = 0; i < expected_.rows.size(); ++i) {
      const auto& [name, header_count] = expected_.rows[i];
      if (counts->rows[i].second != header_count || read_[i].second != header_count) {
        return dump_error(line_, name + ": the header counts " + std::to_string(header_count) + " rows, the trailer " +
                                     std::to_string(counts->rows[i].second) + ", and the dump holds " +
                                     std::to_string(read_[i].second));
      }
    }
    return Status::ok();
  }

  Status insert(const json& line) {
    const auto name = line.find("table");
    const auto row = line.find("row");
    if (name == line.end() || !name->is_string() || row == line.end() || !row->is_object()) {
      return dump_error(line_, "damaged (not a row: no \"table\" and \"row\")");
    }
    std::size_t index = 0;
    const Table* table = find_table(name->get<std::string>(), index);
    if (!table) return dump_error(line_, "unknown table '" + name->get<std::string>() + "'");
    if (index < table_index_) {
      return dump_error(line_, std::string("a row of ") + table->name + " after the rows of " +
                                   dump_tables()[table_index_].name + " (out of order)");
    }
    table_index_ = index;
    if (++read_[index].second > expected_.rows[index].second) {
      return dump_error(line_, std::string("more rows of ") + table->name + " than the header counts (" +
                                   std::to_string(expected_.rows[index].second) + ")");
    }
    return insert_row(*table, *row);
  }

  // INSERT of the columns the row names: a dump from an older schema lacks the newer
  // columns, which then take their defaults as the migration gave them.
  Status insert_row(const Table& table, const json& row) {
    std::string columns, values;
    std::vector<std::pair<const Column*, const json*>> bound;
    for (const auto& [key, value] : row.items()) {
      const Column* column = find_column(table, key);
      if (!column) return dump_error(line_, std::string(table.name) + " has no column '" + key + "'");
      bound.emplace_back(column, &value);
    }
    for (std::size_t i = 0; i < bound.size(); ++i) {
      columns += (i ? ", " : "") + std::string(bound[i].first->name);
      values += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    auto stmt = statement_(std::string("INSERT INTO ") + table.name + "(" + columns + ") VALUES (" + values + ")");
    if (!stmt.ok()) return dump_error(line_, stmt.status().message());
    for (std::size_t i = 0; i < bound.size(); ++i) {
      if (Status s = bind(**stmt, static_cast<int>(i + 1), table, *bound[i].first, *bound[i].second); !s.is_ok()) {
        return s;
      }
    }
    Status status = (*stmt)->run();
    return status.is_ok() ? status : dump_error(line_, std::string(table.name) + ": " + status.message());
  }

  Status bind(Statement& stmt, int index, const Table& table, const Column& column, const json& value) {
    const std::string field = std::string(table.name) + "." + column.name;
    if (value.is_null()) {
      stmt.bind_null(index);
    } else if (column.type == kInt) {
      if (!value.is_number_integer() ||
          (value.is_number_unsigned() && value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())) {
        return dump_error(line_, field + " is not a 64-bit integer");
      }
      stmt.bind(index, value.get<std::int64_t>());
    } else if (value.is_string()) {
      stmt.bind(index, value.get_ref<const std::string&>());
    } else {
      const auto hex = value.is_object() && value.size() == 1 && value.contains("hex") && value["hex"].is_string()
                           ? from_hex(value["hex"].get<std::string>())
                           : std::nullopt;
      if (!hex) return dump_error(line_, field + " is not text");
      stmt.bind(index, *hex);
    }
    return Status::ok();
  }

  StatementSource statement_;
  int schema_version_;
  std::istream& in_;
  std::size_t line_ = 0;
  json line_json_;  // the last line read
  DumpStats expected_;  // the header's counts
  std::vector<std::pair<std::string, std::int64_t>> read_;
  std::size_t table_index_ = 0;
};

}  // namespace

Result<DumpStats> Store::import_dump(std::istream& in) {
  const std::string doing = "importing a dump";
  auto txn = impl_->begin(Transaction::Mode::kWrite);
  if (!txn.ok()) return in_context(doing, txn.status());
  // Checked inside the write transaction, so no daemon can store a row in between.
  std::string held;
  for (const Table& table : dump_tables()) {
    auto count = impl_->statement(std::string("SELECT COUNT(*) FROM ") + table.name);
    if (!count.ok()) return in_context(doing, count.status());
    auto row = (*count)->step();
    if (!row.ok()) return in_context(doing, row.status());
    if (const std::int64_t n = (*count)->column_int64(0); n > 0) {
      held += (held.empty() ? "" : ", ") + std::to_string(n) + " " + table.name;
    }
  }
  if (!held.empty()) {
    return Status::invalid_argument(impl_->db->name() + " is not empty (it holds " + held +
                                    "): a dump is imported only into a new, empty database; nothing was imported");
  }
  auto loaded = DumpLoader([this](std::string_view sql) { return impl_->statement(sql); }, impl_->schema_version, in)
                    .load();
  if (!loaded.ok()) return loaded.status();
  // A dump from before schema 6 has no band keys in its story rows: they are gathered from
  // the index, as the migration does, so that pruning those stories removes their keys.
  {
    auto fill = impl_->statement(
        std::string("UPDATE stories SET band_keys = (SELECT '[' || ") +
        (impl_->dialect() == Dialect::kPostgres ? "string_agg(CAST(b.band_key AS TEXT), ',')"
                                                : "group_concat(b.band_key, ',')") +
        " || ']' FROM story_band_keys b WHERE b.story_id = stories.id) WHERE band_keys IS NULL");
    if (!fill.ok()) return in_context(doing, fill.status());
    if (Status s = (*fill)->run(); !s.is_ok()) return in_context(doing, s);
  }
  // Rows came with their ids: PostgreSQL's identity sequences must move past them, or the
  // next story stored would collide (SQLite takes MAX(id) + 1 by itself).
  if (impl_->dialect() == Dialect::kPostgres) {
    for (const char* sql : {"SELECT setval(pg_get_serial_sequence('sources', 'id'), MAX(id)) FROM sources",
                            "SELECT setval(pg_get_serial_sequence('stories', 'id'), MAX(id)) FROM stories"}) {
      auto stmt = impl_->statement(sql);
      if (!stmt.ok()) return in_context(doing, stmt.status());
      if (Status s = (*stmt)->run(); !s.is_ok()) return in_context(doing, s);
    }
  }
  if (Status s = txn->commit(); !s.is_ok()) return in_context(doing, s);
  return loaded;
}

}  // namespace feedd
