#!/usr/bin/env python3
"""Writes N generated RSS 2.0 feeds for bench/fetch.sh: 30 entries each, 1-3 KB of HTML
per entry (about 60 KB a feed, the size of a typical news feed), and about 10% of the
entries drawn from a pool of stories shared between feeds (wire copy), so that
de-duplication has real work to do. Deterministic: the same N gives the same files.

usage: fetch_corpus.py DIR N [ENTRIES]"""
import os
import random
import sys

WORDS = ("government minister report human rights council court election market energy "
         "climate health school water city police border trade union workers price "
         "season festival research science data study museum river village farmers "
         "storm bridge railway hospital doctors teachers vote protest agreement talks").split()


def paragraph(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def story(rng, uid):
    title = paragraph(rng, 8)[:-1]
    body = "".join("<p>%s</p>" % paragraph(rng, rng.randint(25, 60)) for _ in range(rng.randint(2, 5)))
    return uid, title, body


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    entries = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    os.makedirs(out, exist_ok=True)
    rng = random.Random(4)
    shared = [story(rng, "wire-%d" % i) for i in range(max(50, count // 10))]
    for f in range(count):
        frng = random.Random(f)
        items = []
        for e in range(entries):
            if frng.random() < 0.10:
                uid, title, body = frng.choice(shared)
            else:
                uid, title, body = story(frng, "f%d-e%d" % (f, e))
            day = 1 + (e % 28)
            items.append(
                "<item><title>%s</title><link>http://example.org/%s</link>"
                "<guid isPermaLink=\"false\">%s</guid>"
                "<pubDate>Mon, %02d Sep 2026 %02d:%02d:00 GMT</pubDate>"
                "<description><![CDATA[%s]]></description></item>"
                % (title, uid, uid, day, e % 24, f % 60, body))
        doc = ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
               "<title>Feed %d</title><link>http://example.org/feed/%d</link>"
               "<description>generated</description>%s</channel></rss>\n" % (f, f, "".join(items)))
        sub = os.path.join(out, "%03d" % (f // 1000))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "%d.xml" % f), "w") as fh:
            fh.write(doc)


if __name__ == "__main__":
    main()
