// The near-duplicate detector against the labelled set in tests/data/near_duplicates/
// (pairs.json, made by make_pairs.py there): precision must be 100%, recall at least the
// committed threshold. A pair counts as detected only as the store would detect it: the
// two texts share a band key (the indexed lookup finds the candidate) and their exact
// similarity passes.

#include "support/paths.hpp"
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "feedd/dedup.hpp"

namespace {

using nlohmann::json;

// Committed thresholds (bench/README.md reports the measured figures).
constexpr double kMinPrecision = 1.0;
constexpr double kMinRecall = 0.95;

struct Tally {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  int true_negatives = 0;
};

bool detected(const json& a, const json& b, double& score) {
  using namespace feedd::dedup;
  const auto shingles_a = shingles(a.at("title").get<std::string>(), a.at("html").get<std::string>());
  const auto shingles_b = shingles(b.at("title").get<std::string>(), b.at("html").get<std::string>());
  const auto keys_a = lsh_band_keys(shingles_a);
  const auto keys_b = lsh_band_keys(shingles_b);
  const bool candidate = std::any_of(keys_a.begin(), keys_a.end(), [&](std::int64_t key) {
    return std::find(keys_b.begin(), keys_b.end(), key) != keys_b.end();
  });
  const Similarity similar = similarity(shingles_a, shingles_b);
  score = similar.score();
  return candidate && similar.is_near_duplicate();
}

}  // namespace

TEST_CASE("Near-duplicate detection is precise and finds copies on the labelled set", "[dedup][near]") {
  std::ifstream in(std::string(::feedd::test::kTestDataDir) + "/near_duplicates/pairs.json");
  REQUIRE(in);
  const json pairs = json::parse(in);
  REQUIRE(pairs.size() >= 60);

  Tally total;
  std::map<std::string, Tally> by_kind;
  for (const json& pair : pairs) {
    double score = 0;
    const bool found = detected(pair.at("a"), pair.at("b"), score);
    const bool copy = pair.at("copy").get<bool>();
    Tally& kind = by_kind[pair.at("kind").get<std::string>()];
    for (Tally* t : {&total, &kind}) {
      if (copy && found) ++t->true_positives;
      if (!copy && found) ++t->false_positives;
      if (copy && !found) ++t->false_negatives;
      if (!copy && !found) ++t->true_negatives;
    }
    if (copy != found) {
      UNSCOPED_INFO((copy ? "missed copy" : "false merge") << " (" << pair.at("kind").get<std::string>()
                                                          << ", score " << score << "): "
                                                          << pair.at("a").at("title").get<std::string>());
    }
  }
  const double precision =
      static_cast<double>(total.true_positives) / std::max(1, total.true_positives + total.false_positives);
  const double recall =
      static_cast<double>(total.true_positives) / std::max(1, total.true_positives + total.false_negatives);
  for (const auto& [kind, t] : by_kind) {
    std::printf("near duplicates: %-26s %2d copies found of %2d, %2d false merges of %2d different stories\n",
                kind.c_str(), t.true_positives, t.true_positives + t.false_negatives, t.false_positives,
                t.false_positives + t.true_negatives);
  }
  std::printf("near duplicates: %zu pairs, precision %.3f, recall %.3f\n", pairs.size(), precision, recall);
  CHECK(total.true_positives + total.false_negatives >= 30);
  CHECK(total.false_positives + total.true_negatives >= 20);
  CHECK(precision >= kMinPrecision);
  CHECK(recall >= kMinRecall);
}
