#!/usr/bin/env python3
"""Writes a feedd dump (README, "Moving a store") of N stories to standard output, in the
exact bytes `feedd export` writes, so that bench/dump.sh can check the round trip byte for
byte: 10 sources, N stories of about 2 KB of HTML, one entry each plus a copy from a second
source for every fifth, 16 near-duplicate band keys each, and N/10 tombstones.

    generate_dump.py N FEEDD_VERSION SCHEMA_VERSION [--seed S]
"""
import argparse
import hashlib
import json
import random
import sys

WORDS = ("harbour terminal council dredging contract spring flooding cranes operator port city "
         "élection 中文 Zürich naïve report minister budget railway storm bridge school").split()


def dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("stories", type=int)
    parser.add_argument("feedd_version")
    parser.add_argument("schema_version", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    t0 = 1_700_000_000

    sources = []
    for i in range(1, 11):
        sources.append({"id": i, "url": f"https://feeds{i}.example.org/rss.xml", "title": None,
                        "tags": dumps(["news", f"t{i % 3}"]), "feed_title": f"Feed {i}",
                        "etag": f'"etag-{i}"', "last_modified": "Tue, 14 Nov 2023 22:13:20 GMT",
                        "last_fetch": t0, "last_success": t0, "http_status": 200, "consecutive_failures": 0,
                        "last_error": None, "current_url": None, "redirect_candidate": None, "gone": 0,
                        "body_hash": hashlib.sha256(str(i).encode()).hexdigest(), "next_fetch": t0 + 900})
    stories, entries, bands = [], [], []
    for sid in range(1, args.stories + 1):
        source = 1 + sid % 10
        text = " ".join(rng.choice(WORDS) for _ in range(300))
        content_hash = hashlib.sha256(f"story {sid}".encode()).hexdigest()
        first_seen = t0 + sid * 60
        stories.append({"id": sid, "uid": "urn:feedd:story:" + content_hash[:32], "content_hash": content_hash,
                        "title": f"Story {sid}: " + " ".join(rng.choice(WORDS) for _ in range(6)),
                        "link": f"https://feeds{source}.example.org/{sid}", "summary": None,
                        "content": f"<p>{text}</p>", "authors": dumps(["Jia Puyu"]), "categories": dumps(["World"]),
                        "enclosures": "[]", "published": first_seen - 30, "updated": first_seen,
                        "first_seen": first_seen, "sort_time": first_seen - 30, "origin_source_id": source})
        carriers = [source] + ([1 + (sid + 1) % 10] if sid % 5 == 0 else [])
        for n, carrier in enumerate(carriers):
            entries.append({"source_id": carrier, "identity": f"guid-{sid}", "story_id": sid,
                            "content_hash": content_hash, "entry_link": f"https://feeds{carrier}.example.org/{sid}",
                            "first_seen": first_seen + n, "merge_reason": "same content hash" if n else None,
                            "raw_hash": hashlib.sha256(f"raw {sid} {n}".encode()).hexdigest()[:32]})
        for _ in range(16):
            bands.append({"band_key": rng.randint(-2**63, 2**63 - 1), "story_id": sid})
    entries.sort(key=lambda e: (e["source_id"], e["identity"]))
    bands.sort(key=lambda b: (b["story_id"], b["band_key"]))
    pruned_entries = sorted(({"source_id": 1 + i % 10, "identity": f"old-guid-{i}"}
                             for i in range(args.stories // 10)), key=lambda e: (e["source_id"], e["identity"]))
    pruned_hashes = sorted(({"content_hash": hashlib.sha256(f"old {i}".encode()).hexdigest()}
                            for i in range(args.stories // 10)), key=lambda h: h["content_hash"])

    tables = [("sources", sources), ("stories", stories), ("entries", entries), ("story_bands", bands),
              ("pruned_entries", pruned_entries), ("pruned_hashes", pruned_hashes)]
    counts = {name: len(rows) for name, rows in tables}
    out = sys.stdout
    out.write(dumps({"format": "feedd-dump", "format_version": 1, "schema_version": args.schema_version,
                     "feedd_version": args.feedd_version, "counts": counts}) + "\n")
    for name, rows in tables:
        for row in rows:
            out.write(dumps({"table": name, "row": row}) + "\n")
    out.write(dumps({"end": "feedd-dump", "counts": counts}) + "\n")


if __name__ == "__main__":
    main()
