#pragma once
// What the XML formats (Atom, RSS) share: pugixml output into a string, and the helpers
// through which every string reaches the document.

#include <pugixml.hpp>

#include <string>
#include <string_view>

#include "render/text.hpp"

namespace feedd::render {

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(const void* data, std::size_t size) override { out_.append(static_cast<const char*>(data), size); }

 private:
  std::string& out_;
};

// Every string goes through xml_safe: pugixml escapes markup but passes control
// characters and broken UTF-8 straight through.
inline pugi::xml_node add_text(pugi::xml_node parent, const char* name, std::string_view text) {
  pugi::xml_node node = parent.append_child(name);
  node.text().set(xml_safe(text).c_str());
  return node;
}

inline void set_attribute(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(xml_safe(value).c_str());
}

inline pugi::xml_node add_link(pugi::xml_node parent, std::string_view rel, std::string_view href,
                               const char* element = "link") {
  pugi::xml_node link = parent.append_child(element);
  set_attribute(link, "rel", rel);
  set_attribute(link, "href", href);
  return link;
}

inline void add_declaration(pugi::xml_document& doc) {
  pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("utf-8");
}

inline std::string to_string(const pugi::xml_document& doc) {
  std::string out;
  StringWriter writer(out);
  doc.save(writer, "  ", pugi::format_default, pugi::encoding_utf8);
  return out;
}

}  // namespace feedd::render
