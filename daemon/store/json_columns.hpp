#pragma once
// Private to daemon/store/: list-valued fields are stored as JSON array text.

#include <string>
#include <vector>

#include "feedd/parse.hpp"

namespace feedd::db {

std::string strings_to_json(const std::vector<std::string>& values);
// Anything but an array of strings (a hand-edited row) reads as an empty list.
std::vector<std::string> strings_from_json(const std::string& text);

std::string enclosures_to_json(const std::vector<Enclosure>& enclosures);
std::vector<Enclosure> enclosures_from_json(const std::string& text);

}  // namespace feedd::db
