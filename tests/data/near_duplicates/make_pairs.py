#!/usr/bin/env python3
"""Builds pairs.json, the labelled near-duplicate set, from the texts in this folder.

Run it again after editing a text: `python3 make_pairs.py > pairs.json`. Deterministic.

Each pair is {"kind", "copy" (true: the same story), "a": {"title", "html"}, "b": ...}.
True copies apply one kind of edit that re-publishers make to an article; hard negatives
are different stories that look alike: a follow-up by the same reporter, two parts of one
long article from one outlet, two stories carrying the same syndication boilerplate, and
two days of one templated market report.
"""
import json
import pathlib
import random

HERE = pathlib.Path(__file__).parent


def read(path):
    lines = [l.strip() for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    return lines[0], lines[1:]


def html(paragraphs):
    return "".join("<p>%s</p>" % p for p in paragraphs)


def story(title, paragraphs):
    return {"title": title, "html": html(paragraphs)}


def is_byline(line):
    return line.startswith("By ")


articles = sorted((HERE / "articles").glob("*.txt"))
boilerplate = (HERE / "boilerplate.txt").read_text(encoding="utf-8").strip()
pairs = []


def add(kind, copy, a, b):
    pairs.append({"kind": kind, "copy": copy, "a": a, "b": b})


TITLE_EDITS = [
    lambda t: "UPDATE: " + t,
    lambda t: t.replace(" the ", " a ", 1) if " the " in t else t + " - report",
    lambda t: t + " (video)",
    lambda t: t.rstrip(".") + ", officials say",
]

for index, path in enumerate(articles):
    title, paragraphs = read(path)
    original = story(title, paragraphs)
    body = [p for p in paragraphs if not is_byline(p)]

    # A syndicated copy under another byline.
    add("changed byline", True, original, story(title, ["By Staff Reporter, Agency Wire"] + body))
    # The same words, wrapped differently: paragraphs joined and split at other places,
    # line breaks inside them.
    words = " ".join(paragraphs).split(" ")
    third = len(words) // 3
    rewrapped = [" ".join(words[:third]), "\n".join(" ".join(words[third:2 * third]).split(", ")),
                 " ".join(words[2 * third:])]
    add("re-wrapped paragraphs", True, original, {"title": title,
                                                  "html": "<div>" + "<br/>\n".join(rewrapped).replace("\n, ", ",\n") + "</div>"})
    # An added credit line.
    add("added Source: line", True, original, story(title, paragraphs + ["Source: Agency Wire / Regional Press Network"]))
    # The ending trimmed by an aggregator, with a link to the rest.
    add("trimmed ending", True, original, story(title, paragraphs[:-1] + ["Read the full story on our website."]))
    # A slightly edited headline.
    add("edited title", True, original, story(TITLE_EDITS[index % len(TITLE_EDITS)](title), paragraphs))
    # Two edits at once: another byline and a credit line.
    add("byline and Source: line", True, original,
        story(title, ["By Staff Reporter"] + body + ["Source: " + title.split(" ")[0] + " Daily"]))

    # Hard negative: the next article, both carrying the same syndication boilerplate.
    other_title, other_paragraphs = read(articles[(index + 1) % len(articles)])
    add("shared boilerplate", False, story(title, paragraphs + [boilerplate]),
        story(other_title, other_paragraphs + [boilerplate]))

for path in sorted((HERE / "follow-ups").glob("*.txt")):
    title, paragraphs = read(HERE / "articles" / path.name)
    follow_title, follow_paragraphs = read(path)
    add("follow-up story", False, story(title, paragraphs), story(follow_title, follow_paragraphs))

# Two parts of one long article (same outlet, same topic, same header and byline).
long_lines = [l.strip() for l in (HERE.parent / "news-article.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
header, long_title, byline = long_lines[0], long_lines[1], long_lines[2]
body_lines = long_lines[3:]
parts, current = [], []
for line in body_lines:
    current.append(line)
    if sum(len(l.split()) for l in current) >= 140:
        parts.append(current)
        current = []
for first, second in zip(parts, parts[1:]):
    add("same outlet, same topic", False, story(long_title, [header, byline] + first),
        story(long_title, [header, byline] + second))

# Two days of a templated market report: the same sentences, other numbers and names.
rng = random.Random(20240601)
STOCKS = ["miners", "banks", "retailers", "drug makers", "utilities", "airlines", "builders", "insurers"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def market_report(day):
    up, down = rng.sample(STOCKS, 2)
    move = rng.choice(["rose", "fell", "edged up", "slipped"])
    return story("Markets: shares %s as %s lead the way" % (move, up), [
        "By Markets Desk",
        "The main index %s %.1f percent to %d points on %s, with %s gaining %.1f percent while %s lost %.1f percent." % (
            move, rng.uniform(0.1, 2.0), rng.randint(7000, 8000), day, up, rng.uniform(0.5, 4), down, rng.uniform(0.5, 4)),
        "The currency traded at %.4f against the dollar and %.4f against the euro, after %s data on %s." % (
            rng.uniform(1.1, 1.4), rng.uniform(1.1, 1.2), rng.choice(["stronger", "weaker", "mixed"]),
            rng.choice(["inflation", "retail sales", "factory orders", "jobs"])),
        "Government bond yields %s to %.2f percent, and oil %s to %.2f a barrel." % (
            rng.choice(["rose", "fell"]), rng.uniform(3, 5), rng.choice(["rose", "fell"]), rng.uniform(70, 90)),
        "Among individual stocks, %s jumped %d percent after results, and %s dropped %d percent on a profit warning." % (
            rng.choice(["Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware"]), rng.randint(3, 12),
            rng.choice(["Adatum", "Proseware", "Woodgrove", "Lucerne", "Wingtip"]), rng.randint(3, 12)),
        "Markets data is delayed by at least fifteen minutes. Prices are indicative and do not constitute investment advice.",
    ])


for day, next_day in zip(DAYS, DAYS[1:] + ["Monday"]):
    add("templated report", False, market_report(day), market_report(next_day))

print(json.dumps(pairs, indent=1, ensure_ascii=False))
