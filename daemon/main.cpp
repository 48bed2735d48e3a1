// feedd's entry point: reads the command line and wires config -> store -> io_context ->
// signals -> sd_notify. Everything else lives in feedd_core.

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <memory>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "feedd/config.hpp"
#include "feedd/logging.hpp"
#include "feedd/opml.hpp"
#include "feedd/parse.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/report.hpp"
#include "feedd/store.hpp"
#include "feedd/service.hpp"

namespace {

constexpr const char* kUsage = R"(usage: feedd COMMAND [OPTIONS]

Commands:
  run [--config PATH]            run the daemon in the foreground: poll sources, serve
                                 and write the unified feed; SIGHUP re-reads the config,
                                 SIGTERM/SIGINT stop it cleanly
  once [--config PATH]           fetch every enabled source once, store, write the
                                 output files, print a summary and exit
  parse FILE [--url URL] [--content-type TYPE]
                                 parse one feed document (FILE, or - for standard input)
                                 as the daemon would and print it as JSON
  check-config [--config PATH]   validate feeds.conf; print every error as FILE:LINE:COL
  status [--config PATH]         a table of every source: last fetch, HTTP status,
                                 stories, failures, next fetch, moved or gone
  import-opml FILE               print [[feed]] tables for the feeds of an OPML file
                                 (e.g. a feed reader's export), to append to feeds.conf
  export-opml [--config PATH]    print the configured sources as OPML 2.0
  migrate [--config PATH]        create the database or bring its schema to this
                                 feedd's version, and say which (daemons do it on start)
  export [--config PATH] [--output FILE]
                                 write the whole store as a portable dump (JSON Lines)
                                 to FILE or standard output
  import [--config PATH] FILE    load a dump (FILE, or - for standard input) into the
                                 configured database, which must be empty; all or nothing

Options:
  --config PATH      feeds.conf to use (default ./feeds.conf, then /etc/feedd/feeds.conf)
  --log-level LEVEL  trace, debug, info, warn, error, critical or off (overrides log_level)
  --output FILE      (export) write the dump to FILE instead of standard output
  --help             this text
  --version          feedd's version

Exit status: 0 success; 1 invalid configuration, unusable database, (parse) not a
feed, or (import) a dump refused; 2 usage error.
)";

struct Options {
  std::string command;
  std::vector<std::string> positional;
  std::optional<std::string> config;
  std::optional<std::string> url;
  std::optional<std::string> content_type;
  std::optional<std::string> log_level;
  std::optional<std::string> output;
  bool help = false;
  bool version = false;
};

int usage_error(const std::string& message) {
  std::cerr << "feedd: " << message << "\nTry 'feedd --help'.\n";
  return 2;
}

std::optional<Options> read_options(int argc, char** argv, std::string& error) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::optional<std::string>& into) {
      if (i + 1 >= args.size()) {
        error = a + " needs a value";
        return false;
      }
      into = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") o.help = true;
    else if (a == "--version" || a == "-V") o.version = true;
    else if (a == "--config" || a == "-c") { if (!value(o.config)) return std::nullopt; }
    else if (a == "--url") { if (!value(o.url)) return std::nullopt; }
    else if (a == "--content-type") { if (!value(o.content_type)) return std::nullopt; }
    else if (a == "--log-level") { if (!value(o.log_level)) return std::nullopt; }
    else if (a == "--output" || a == "-o") { if (!value(o.output)) return std::nullopt; }
    else if (a.size() > 1 && a[0] == '-' && a != "-") { error = "unknown option " + a; return std::nullopt; }
    else if (o.command.empty()) o.command = a;
    else o.positional.push_back(a);
  }
  return o;
}

std::optional<feedd::Config> load_or_report(const Options& o) {
  const std::filesystem::path path = o.config ? std::filesystem::path(*o.config) : feedd::default_config_path();
  auto loaded = feedd::load_config(path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << '\n';
    return std::nullopt;
  }
  return std::move(loaded.config);
}

int check_config(const Options& o) {
  const std::filesystem::path path = o.config ? std::filesystem::path(*o.config) : feedd::default_config_path();
  auto loaded = feedd::load_config(path);
  for (const auto& e : loaded.errors) std::cerr << e.to_string() << '\n';
  if (!loaded.ok()) return 1;
  std::size_t enabled = 0;
  for (const auto& s : loaded.config.sources) enabled += s.enabled ? 1 : 0;
  std::cout << path.string() << ": ok, " << loaded.config.sources.size() << " sources (" << enabled << " enabled)\n";
  return 0;
}

int parse_command(const Options& o) {
  if (o.positional.size() != 1) return usage_error("parse takes one FILE (or - for standard input)");
  std::string bytes;
  const std::string& file = o.positional[0];
  if (file == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << "feedd: cannot read " << file << ": " << std::strerror(errno) << '\n';
      return 1;
    }
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto parsed = feedd::parse_feed(bytes, o.content_type.value_or(""), o.url.value_or(""));
  if (!parsed.ok()) {
    std::cerr << "feedd: " << file << ": " << parsed.status().to_string() << '\n';
    return 1;
  }
  std::cout << feedd::to_parse_json(*parsed) << '\n';
  return 0;
}

int import_opml_command(const Options& o) {
  if (o.positional.size() != 1) return usage_error("import-opml takes one FILE");
  std::ifstream in(o.positional[0], std::ios::binary);
  if (!in) {
    std::cerr << "feedd: cannot read " << o.positional[0] << ": " << std::strerror(errno) << '\n';
    return 1;
  }
  const std::string document((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto feeds = feedd::read_opml(document);
  if (!feeds.ok()) {
    std::cerr << "feedd: " << o.positional[0] << ": " << feeds.status().to_string() << '\n';
    return 1;
  }
  std::cout << feedd::to_feed_tables(*feeds);
  return 0;
}

int export_opml_command(const Options& o) {
  auto config = load_or_report(o);
  if (!config) return 1;
  std::cout << feedd::write_opml(*config);
  return 0;
}

int once_command(const Options& o) {
  auto config = load_or_report(o);
  if (!config) return 1;
  feedd::set_up_logging(o.log_level.value_or(config->daemon.log_level));
  boost::asio::io_context io;
  feedd::Aggregator aggregator(io, std::move(*config));
  if (auto s = aggregator.open(); !s.is_ok()) {
    spdlog::critical("{}", s.to_string());
    return 1;
  }
  // Progress goes to stderr (as log lines when it is not a terminal), the summary to
  // stdout: `feedd once > log` still shows it live.
  feedd::PassProgress progress(std::cerr, isatty(STDERR_FILENO) == 1,
                               [](const std::string& line) { spdlog::info("{}", line); });
  aggregator.run_once(
      [&](const feedd::PassSummary& summary) {
        progress.finish();
        std::cout << summary.to_string() << std::endl;
        io.stop();
      },
      [&](const feedd::PassSummary& so_far, std::chrono::milliseconds elapsed) { progress.update(so_far, elapsed); });
  io.run();
  return 0;
}

int status_command(const Options& o) {
  auto config = load_or_report(o);
  if (!config) return 1;
  auto store = feedd::Store::open(config->daemon.database);
  if (!store.ok()) {
    std::cerr << "feedd: " << store.status().to_string() << '\n';
    return 1;
  }
  auto states = store.value()->source_states();
  auto http_states = store.value()->source_http_states();
  if (!states.ok() || !http_states.ok()) {
    std::cerr << "feedd: " << (states.ok() ? http_states.status() : states.status()).to_string() << '\n';
    return 1;
  }
  const feedd::Timestamp now = feedd::system_clock()();
  std::cout << feedd::status_table(*config, *states, *http_states, now);
  // Several daemons, one database (README): who is fetching what right now.
  auto leases = store.value()->live_leases(now);
  if (leases.ok() && !leases->empty()) {
    std::cout << "\nbeing fetched now:\n";
    for (const feedd::SourceLease& lease : *leases) {
      std::cout << "  " << lease.url << " by " << lease.holder << " (lease until " << feedd::format_rfc3339(lease.expires)
                << ")\n";
    }
  }
  return 0;
}

// The configured database, opened as the daemon's writer opens it: a damaged file is
// refused, an old schema is migrated.
std::unique_ptr<feedd::Store> open_store_or_report(const feedd::Config& config) {
  feedd::StoreOptions writer;
  writer.check_integrity = true;
  auto store = feedd::Store::open(config.daemon.database, writer);
  if (!store.ok()) {
    std::cerr << "feedd: " << store.status().to_string() << '\n';
    return nullptr;
  }
  return std::move(store).value();
}

int migrate_command(const Options& o) {
  auto config = load_or_report(o);
  if (!config) return 1;
  auto store = open_store_or_report(*config);
  if (!store) return 1;
  const int found = store->schema_version_found();
  const std::string now = std::to_string(store->schema_version());
  std::cout << config->daemon.database.string() << ": ";
  if (found == 0) std::cout << "schema created at version " << now << '\n';
  else if (found == store->schema_version()) std::cout << "already at version " << now << '\n';
  else std::cout << "schema at version " << now << " (migrated from " << found << ")\n";
  return 0;
}

int export_command(const Options& o) {
  auto config = load_or_report(o);
  if (!config) return 1;
  // Opening would create a missing file and export it, empty: a mistyped path would look
  // like a store with nothing in it. (A postgresql:// URI names no file.)
  const std::string database = config->daemon.database.string();
  if (database.find("://") == std::string::npos && !std::filesystem::exists(config->daemon.database)) {
    std::cerr << "feedd: export: " << database << ": no such database (nothing to export)\n";
    return 1;
  }
  auto store = open_store_or_report(*config);
  if (!store) return 1;
  if (!o.output) {
    auto stats = store->export_dump(std::cout);
    if (!stats.ok()) {
      std::cerr << "feedd: export: " << stats.status().to_string() << '\n';
      return 1;
    }
    std::cerr << "feedd: exported " << stats->to_string() << " (schema " << stats->schema_version << ")\n";
    return 0;
  }
  // Written beside FILE and renamed over it once complete: FILE is never half a dump.
  const std::filesystem::path file(*o.output);
  const std::filesystem::path partial = file.string() + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "feedd: cannot write " << partial.string() << ": " << std::strerror(errno) << '\n';
    return 1;
  }
  auto stats = store->export_dump(out);
  out.close();
  std::error_code ec;
  if (stats.ok() && out) std::filesystem::rename(partial, file, ec);
  if (!stats.ok() || !out || ec) {
    std::filesystem::remove(partial, ec);
    std::cerr << "feedd: export to " << file.string() << ": "
              << (stats.ok() ? "writing the dump failed" : stats.status().to_string()) << '\n';
    return 1;
  }
  std::cout << "exported " << stats->to_string() << " (schema " << stats->schema_version << ") to " << file.string()
            << '\n';
  return 0;
}

int import_command(const Options& o) {
  if (o.positional.size() != 1) return usage_error("import takes one FILE (or - for standard input)");
  const std::string& file = o.positional[0];
  auto config = load_or_report(o);
  if (!config) return 1;
  std::ifstream opened;
  if (file != "-") {
    opened.open(file, std::ios::binary);
    if (!opened) {
      std::cerr << "feedd: cannot read " << file << ": " << std::strerror(errno) << '\n';
      return 1;
    }
  }
  auto store = open_store_or_report(*config);
  if (!store) return 1;
  auto stats = store->import_dump(file == "-" ? std::cin : opened);
  if (!stats.ok()) {
    std::cerr << "feedd: import " << (file == "-" ? "(standard input)" : file) << ": " << stats.status().to_string()
              << '\n';
    return 1;
  }
  std::cout << "imported " << stats->to_string() << " (schema " << stats->schema_version << ") into "
            << config->daemon.database.string() << '\n';
  return 0;
}

int run_command(const Options& o) {
  auto config = load_or_report(o);
  if (!config) return 1;
  feedd::set_up_logging(o.log_level.value_or(config->daemon.log_level));
  const std::size_t source_count = config->sources.size();
  std::size_t source_count_now = source_count;
  // With fetches in flight and none finished for this long, the loop is stuck: curl's own
  // timeout ends every transfer well before.
  auto stall_bound = [](const feedd::Config& c) { return 2 * c.daemon.timeout + std::chrono::seconds(30); };
  const auto stall_after = stall_bound(*config);
  boost::asio::io_context io;
  feedd::Aggregator aggregator(io, std::move(*config));
  if (auto s = aggregator.open(); !s.is_ok()) {
    spdlog::critical("{}", s.to_string());
    return 1;
  }
  // Under feedd.socket systemd has bound the address already and passes the socket.
  auto passed = feedd::passed_listen_socket();
  if (!passed.ok()) {
    spdlog::critical("{}", passed.status().to_string());
    return 1;
  }
  if (auto s = aggregator.serve_http(*passed); !s.is_ok()) {
    spdlog::critical("{}", s.to_string());
    return 1;
  }
  feedd::ServiceNotifier notifier(io, aggregator, stall_after);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  int signals_seen = 0;
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int number) {
    if (ec) return;
    if (++signals_seen > 1) {
      // Committed data is already durable (WAL); a second signal means "now".
      spdlog::warn("second signal ({}): exiting at once", number);
      std::_Exit(0);
    }
    spdlog::info("signal {}: stopping", number);
    notifier.stopping();
    aggregator.stop([&] {
      spdlog::info("stopped");
      io.stop();
    });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  // SIGHUP: read feeds.conf again; a file with errors is refused and the running
  // configuration stays in force.
  const std::filesystem::path config_path = o.config ? std::filesystem::path(*o.config) : feedd::default_config_path();
  boost::asio::signal_set hangups(io, SIGHUP);
  std::function<void(boost::system::error_code, int)> on_hangup = [&](boost::system::error_code ec, int) {
    if (ec) return;
    hangups.async_wait(on_hangup);
    notifier.reloading();
    auto loaded = feedd::load_config(config_path);
    if (!loaded.ok()) {
      spdlog::error("reload refused: {} has {} errors; the running configuration stays in force",
                    config_path.string(), loaded.errors.size());
      for (const auto& e : loaded.errors) spdlog::error("{}", e.to_string());
    } else {
      const std::size_t count = loaded.config.sources.size();
      notifier.set_stall_after(stall_bound(loaded.config));
      const feedd::ConfigDiff diff = aggregator.reload(std::move(loaded.config));
      if (o.log_level) spdlog::set_level(spdlog::level::from_str(*o.log_level));
      spdlog::info("reloaded {}: {}", config_path.string(), diff.to_string());
      source_count_now = count;
    }
    notifier.ready(std::to_string(source_count_now) + " sources");
  };
  hangups.async_wait(on_hangup);

  aggregator.start_polling();
  spdlog::info("feedd {} running: {} sources", FEEDD_VERSION, source_count);
  // Config valid, database open, listener bound: only now is the service ready.
  notifier.ready(std::to_string(source_count) + " sources");
  notifier.start();
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  auto options = read_options(argc, argv, error);
  if (!options) return usage_error(error);
  if (options->version) {
    std::cout << "feedd " << FEEDD_VERSION << '\n';
    return 0;
  }
  if (options->help || options->command.empty()) {
    std::cout << kUsage;
    return options->help ? 0 : 2;
  }
  if (options->log_level && spdlog::level::from_str(*options->log_level) == spdlog::level::off &&
      *options->log_level != "off") {
    return usage_error("unknown log level " + *options->log_level);
  }
  try {
    const std::string& c = options->command;
    if (c == "parse") return parse_command(*options);
    if (c == "import-opml") return import_opml_command(*options);
    if (c == "import") return import_command(*options);
    if (!options->positional.empty()) return usage_error(c + " takes no arguments besides options");
    if (c == "check-config") return check_config(*options);
    if (c == "export-opml") return export_opml_command(*options);
    if (c == "once") return once_command(*options);
    if (c == "status") return status_command(*options);
    if (c == "migrate") return migrate_command(*options);
    if (c == "export") return export_command(*options);
    if (c == "run") return run_command(*options);
    return usage_error("unknown command '" + c + "'");
  } catch (const std::exception& e) {
    std::cerr << "feedd: " << e.what() << '\n';
    return 1;
  }
}
