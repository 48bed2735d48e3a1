#pragma once
// libcurl handles wrapped once, so every path out of a function frees them. Private to
// daemon/fetch/: nothing outside this folder sees curl.h.

#include <memory>

#include <curl/curl.h>

namespace feedd::fetch {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

// curl_global_init is not thread-safe and must run once per process before any handle.
void ensure_curl_global_init();

}  // namespace feedd::fetch
