#!/usr/bin/python3
"""Differential check of `feedd parse` against python3-feedparser over every fixture
document under tests/data/parse/ (recursively: the fixture suite included).

Every field of contracts/parse-json.md is compared fairly: dates as instants (an entry's
published-or-updated: feedparser files pubDate under published and dc:date under
updated, and aliases one to the other), encodings up to the labels browsers treat as one
(iso-8859-1 is windows-1252; any ASCII-compatible label fits an ASCII document), HTML and
plain text as visible text (markup dropped, entities decoded, white space collapsed),
URLs as strings, authors, categories and enclosures as sets. Prints the agreement per
field; every disagreement must be listed in known-differences.txt beside this script
("FIXTURE | FIELD | why feedd's answer is the right one", or "... | BUG: ..." for a
known fault of feedd's, printed apart as an open bug), else the script exits 1.
Documents feedd refuses (exit 1) are compared on that alone: feedparser must find no
entries in them either (it parses almost anything as "bozo").

Usage: feedparser_diff.py [--feedd build/feedd] [--data tests/data/parse] [-v]
"""
import argparse
import calendar
import concurrent.futures
import html
import html.parser
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone

import feedparser

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BASE_URL = "https://fixture.example/feeds/"

# feedparser's version names for feedd's format names.
FORMATS = {"rss090": "rss0.90", "rss091n": "rss0.91", "rss091u": "rss0.91", "rss092": "rss0.92",
           "rss093": "rss2.0", "rss094": "rss2.0", "rss20": "rss2.0", "rss": "rss2.0", "rss10": "rss1.0",
           "atom03": "atom0.3", "atom10": "atom1.0", "atom": "atom1.0", "json1": "jsonfeed1.1"}

BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "td",
         "th", "table", "hr", "dd", "dt", "dl", "section", "article", "header", "footer", "figure", "figcaption"}
DROPPED = {"script", "style", "iframe", "object", "embed", "noscript", "template", "title", "head", "svg", "math",
           "form", "select", "textarea", "button"}


class TextOf(html.parser.HTMLParser):
    """The visible text of an HTML fragment, the simple way a reader sees it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED:
            self.hidden += 1
        elif tag in BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in DROPPED:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCK:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(value):
    if value is None:
        return None
    parser = TextOf()
    parser.feed(value)
    parser.close()
    text = re.sub(r"\s+", " ", html.unescape("".join(parser.parts)).replace("\xa0", " ")).strip()
    return text or None


def instant(value):
    """An RFC 3339 string (feedd) or a struct_time (feedparser) as seconds since 1970."""
    if value is None:
        return None
    if isinstance(value, str):
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
    try:
        return calendar.timegm(value)
    except (ValueError, OverflowError):  # feedparser's struct_time for year 0 and the like
        return None


# Labels WHATWG's Encoding Standard (what browsers and feedd follow) reads with one
# decoder: feedparser reports the label it used, feedd the decoder.
SAME_DECODER = {
    "iso-8859-1": "windows-1252", "latin-1": "windows-1252", "latin1": "windows-1252", "l1": "windows-1252", "us-ascii": "windows-1252", "ascii": "windows-1252",
    "cp1252": "windows-1252", "iso-8859-9": "windows-1254", "gb2312": "gb18030", "gbk": "gb18030",
    "cp936": "gb18030", "big5": "big5-hkscs", "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932",
    "windows-31j": "cp932", "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "iso-8859-11": "windows-874",
    "tis-620": "windows-874", "utf-16": "utf-16le", "utf-32": "utf-32le",
}


def same_encoding(label):
    if label is None:
        return None
    label = label.lower().replace("_", "-") if label.lower().startswith(("iso", "utf")) else label.lower()
    if re.fullmatch(r"cp125\d", label):
        label = "windows-" + label[2:]
    return SAME_DECODER.get(label, label)


def plain(value):
    """feedd's plain-text fields are text already: a '<' in them is a character."""
    if value is None:
        return None
    return re.sub(r"\s+", " ", value.replace("\xa0", " ")).strip() or None


def detail_text(container, key):
    """feedparser's value of `key` as visible text, read as HTML unless its *_detail says
    it is plain text."""
    value = container.get(key)
    detail = container.get(key + "_detail") or {}
    return plain(value) if detail.get("type") == "text/plain" else visible_text(value)


def text_set(values, read=None):
    read = read or visible_text
    return frozenset(t for t in (read(v) for v in values) if t)


def feedd_view(doc):
    feed = doc["feed"]
    view = {
        "format": doc["format"],
        "encoding": same_encoding(doc["encoding"]),
        "feed.title": plain(feed["title"]),
        "feed.link": feed["link"],
        "feed.description": plain(feed["description"]),
        "feed.language": feed["language"],
        "feed.updated": instant(feed["updated"]),
        "feed.image": feed["image"],
        "feed.ttl_minutes": feed["ttl_minutes"],
        "entries.count": len(doc["entries"]),
    }
    for field, values in entry_fields(doc["entries"], lambda e: {
        "id": e["id"], "title": plain(e["title"]), "link": e["link"],
        "date": instant(e["published"] or e["updated"]),
        "authors": text_set(e["authors"], plain), "summary": visible_text(e["summary"]),
        "content": visible_text(e["content"]), "categories": text_set(e["categories"], plain),
        "enclosures": frozenset((x["url"], x["type"], x["length"]) for x in e["enclosures"]),
    }).items():
        view[field] = values
    return view


def feedparser_view(result):
    feed = result.feed
    image = feed.get("image") or {}
    ttl = feed.get("ttl")
    description = detail_text(feed, "subtitle") if "subtitle" in feed else detail_text(feed, "description")

    def entry(e):
        authors = [a.get("name") or a.get("email") for a in e.get("authors", []) if a.get("name") or a.get("email")]
        if not authors and e.get("author"):
            authors = [e.get("author")]
        content = e.get("content") or []
        summary = e.get("summary")
        # feedparser copies the content into the summary when there is no summary.
        if content and summary == content[0].get("value") and not summary_element_present(e):
            summary = None
        return {
            "id": e.get("id") or None, "title": detail_text(e, "title"), "link": link_of(e),
            "date": instant(e.get("published_parsed") or e.get("updated_parsed")),
            "authors": text_set(authors), "summary": detail_text({"summary": summary, **(
                {"summary_detail": e.get("summary_detail")} if e.get("summary_detail") else {})}, "summary"),
            "content": detail_text({"c": content[0].get("value"), "c_detail": content[0]}, "c") if content else None,
            "categories": text_set(t.get("label") or t.get("term") for t in e.get("tags", [])),
            "enclosures": frozenset((x.get("href"), x.get("type") or None,
                                     int(x["length"]) if str(x.get("length", "")).isdigit() else None)
                                    for x in e.get("enclosures", []) if x.get("href")),
        }

    view = {
        "format": FORMATS.get(result.get("version", ""), result.get("version") or None),
        "encoding": same_encoding((result.get("encoding") or "").lower() or None),
        "feed.title": detail_text(feed, "title"),
        "feed.link": link_of(feed),
        "feed.description": visible_text(description),
        "feed.language": feed.get("language") or None,
        "feed.updated": instant(feed.get("updated_parsed")),
        "feed.image": image.get("href") or image.get("url") or feed.get("logo") or feed.get("icon") or None,
        "feed.ttl_minutes": int(ttl) if ttl and str(ttl).strip().isdigit() else None,
        "entries.count": len(result.entries),
    }
    view.update(entry_fields(result.entries, entry))
    return view


def link_of(item):
    """feedparser's link, less the id it copies into it (guidislink) when that id is no
    web address: the contract's link is an absolute URL."""
    link = item.get("link") or None
    if link and link == item.get("id") and not link.startswith(("http://", "https://")):
        return None
    return link


def summary_element_present(e):
    detail = e.get("summary_detail")
    return detail is not None and detail.get("value") != (e.get("content") or [{}])[0].get("value")


def entry_fields(entries, read):
    fields = defaultdict(list)
    for e in entries:
        for field, value in read(e).items():
            fields["entry." + field].append(value)
    return {k: tuple(v) for k, v in fields.items()}


def is_document(path):
    name = os.path.basename(path)
    if name.endswith((".py", ".expected.json", ".expected", ".warnings", ".args", ".md", ".content-type", ".error")) or \
            name.startswith("."):
        return False
    stem, ext = os.path.splitext(path)
    if ext == ".json":  # expected output beside a document of the same name
        for other in os.listdir(os.path.dirname(path)):
            if other != name and os.path.splitext(other)[0] == os.path.basename(stem):
                return False
    return True


def documents(data_dir):
    for folder, _, names in os.walk(data_dir):
        for name in sorted(names):
            path = os.path.join(folder, name)
            if is_document(path):
                yield os.path.relpath(path, data_dir), path


def compare(feedd, rel, path):
    url = BASE_URL + os.path.basename(rel)
    command, headers = [feedd, "parse", path, "--url", url], {"content-location": url}
    sidecar = os.path.splitext(path)[0] + ".content-type"  # the HTTP Content-Type it came with
    if os.path.exists(sidecar):
        with open(sidecar, encoding="utf-8") as f:
            headers["content-type"] = f.read().strip()
        command += ["--content-type", headers["content-type"]]
    run = subprocess.run(command, capture_output=True, timeout=60)
    try:
        with open(path, "rb") as f:
            theirs = feedparser.parse(f.read(), response_headers=headers)
    except Exception as error:  # feedparser has its own bugs; nothing to compare then
        return {"skipped": f"python3-feedparser raised {type(error).__name__}: {error}"}, {}
    if run.returncode == 1:
        # feedd refuses the document: agreement means feedparser found no entries either.
        return {"refused": "feedd refuses it" if len(theirs.entries) == 0 else
                f"feedd refuses it ({run.stderr.decode(errors='replace').strip()}), "
                f"feedparser reads {len(theirs.entries)} entries"}, {}
    if run.returncode != 0:
        raise RuntimeError(f"feedd parse {rel} exited {run.returncode}: {run.stderr.decode(errors='replace')}")
    ours = feedd_view(json.loads(run.stdout))
    mine = feedparser_view(theirs)
    if ours["format"].startswith("jsonfeed") and not theirs.get("version"):
        return {"skipped": "JSON Feed: python3-feedparser 6.0.10 does not read JSON Feed"}, {}
    with open(path, "rb") as f:
        if f.read().isascii() and ours["encoding"] in ("utf-8", "windows-1252"):
            mine["encoding"] = ours["encoding"] if mine["encoding"] in ("utf-8", "windows-1252") else mine["encoding"]
    results, details = {}, {}
    fields = set(ours) | set(mine)
    if ours["entries.count"] != mine["entries.count"]:  # entries cannot be paired then
        fields = {f for f in fields if not f.startswith("entry.")}
    for field in sorted(fields):
        a, b = ours.get(field), mine.get(field)
        results[field] = a == b
        if a != b:
            details[field] = (a, b)
    return results, details


def load_known(path):
    known = {}
    if not os.path.exists(path):
        return known
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not parts[2]:
            sys.exit(f"{path}:{number}: expected 'FIXTURE | FIELD | reason'")
        known[(parts[0], parts[1])] = parts[2]
    return known


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feedd", default=os.path.join(ROOT, "build", "feedd"))
    parser.add_argument("--data", default=os.path.join(ROOT, "tests", "data", "parse"))
    parser.add_argument("--known", default=os.path.join(HERE, "known-differences.txt"))
    parser.add_argument("-v", "--verbose", action="store_true", help="show both values of every disagreement")
    args = parser.parse_args()
    known = load_known(args.known)

    agree, total = Counter(), Counter()
    unlisted, listed, used = [], 0, set()
    docs = list(documents(args.data))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda d: (d[0], compare(args.feedd, *d)), docs))
    skipped = []
    for rel, (results, details) in outcomes:
        if "skipped" in results:
            skipped.append((rel, results["skipped"]))
            continue
        if "refused" in results:
            total["(refused)"] += 1
            if results["refused"] == "feedd refuses it":
                agree["(refused)"] += 1
            elif (rel, "refused") in known:
                listed += 1
                used.add((rel, "refused"))
            else:
                unlisted.append((rel, "refused", results["refused"], None))
            continue
        for field, same in results.items():
            total[field] += 1
            if same:
                agree[field] += 1
            elif (rel, field) in known:
                listed += 1
                used.add((rel, field))
            else:
                unlisted.append((rel, field) + details[field])
            if not same and args.verbose:
                print(f"  {rel} {field}:\n    feedd:      {details[field][0]!r}\n    feedparser: {details[field][1]!r}")

    print(f"feedd parse vs python3-feedparser {feedparser.__version__} over {len(docs)} documents")
    print(f"{'field':22} {'agree':>7} / {'of':<5}")
    for field in sorted(total):
        print(f"{field:22} {agree[field]:7} / {total[field]:<5}")
    for rel, why in skipped:
        print(f"skipped {rel}: {why}")
    bugs = sorted(k for k in used if known[k].startswith("BUG:"))
    for key in bugs:
        print(f"open bug (feedparser looks right): {key[0]} | {key[1]}: {known[key][4:].strip()}")
    print(f"{listed} disagreement(s) listed in {os.path.relpath(args.known, ROOT)}; {len(unlisted)} unlisted")
    for key in sorted(set(known) - used):
        print(f"note: listed but no longer a disagreement: {key[0]} | {key[1]}")
    for rel, field, ours, theirs in unlisted:
        print(f"UNLISTED {rel} | {field}\n    feedd:      {ours!r}\n    feedparser: {theirs!r}")
    return 1 if unlisted else 0


if __name__ == "__main__":
    sys.exit(main())
