#!/usr/bin/python3
"""python3-feedparser's throughput on every STEP-th document of a corpus (it is slow, so
bench/parse.sh gives it a subset): one JSON object like feedd_parse_bench's.

Usage: feedparser_bench.py CORPUS_DIR [STEP]
"""
import json
import os
import sys
import time

import feedparser


def main():
    corpus, step = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
    names = sorted(os.listdir(corpus))[::step]
    documents = []
    for name in names:
        with open(os.path.join(corpus, name), "rb") as f:
            documents.append(f.read())
    start = time.process_time()  # CPU time, as feedd_parse_bench: the machine may be shared
    entries = 0
    for data in documents:
        # feedparser sanitises HTML and resolves relative URLs by default, like parse_feed.
        entries += len(feedparser.parse(data, response_headers={"content-location": "https://bench.example/feed.xml"}).entries)
    seconds = time.process_time() - start
    size = sum(len(d) for d in documents)
    print(json.dumps({"mode": "feedparser", "bytes": size, "entries": entries, "seconds": seconds, "passes": 1,
                      "documents": len(documents), "mb_per_s": size / seconds / 1e6, "entries_per_s": entries / seconds}))


if __name__ == "__main__":
    main()
