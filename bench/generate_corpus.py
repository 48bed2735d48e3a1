#!/usr/bin/env python3
"""Writes a deterministic corpus of realistic feeds for bench/parse.sh.

Mixed formats (about 60% RSS 2.0, 30% Atom 1.0, 10% RSS 1.0), 10-50 entries per feed,
HTML bodies of 1-6 KB (paragraphs, links, emphasis, lists, quotes, images, entities,
in about one entry in ten an embedded video iframe or a tracking script, as real feeds
have), text in
English, German, French, Russian, Chinese and Japanese with curly quotes and dashes, and
about 5% of the feeds encoded in windows-1252 (Latin text only). Same seed, same bytes.

Usage: generate_corpus.py OUT_DIR [--megabytes 110] [--seed 1]
"""
import argparse
import os
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

LATIN_WORDS = {
    "en": "the government said on Monday that talks would resume after a week of protests in the capital "
          "where thousands gathered to demand reforms officials warned markets economy growth inflation "
          "researchers found climate energy coastal city council budget school hospital \u201cunprecedented\u201d "
          "it\u2019s \u2014 analysts".split(),
    "de": "die Regierung erklärte am Montag dass die Gespräche nach einer Woche der Proteste in der Hauptstadt "
          "wieder aufgenommen würden Tausende versammelten sich um Reformen zu fordern Wirtschaft Größe "
          "Straße Bürger \u201eüberraschend\u201c".split(),
    "fr": "le gouvernement a déclaré lundi que les négociations reprendraient après une semaine de manifestations "
          "dans la capitale où des milliers de personnes se sont rassemblées élève été Noël français "
          "\u00abinédit\u00bb".split(),
}
OTHER_WORDS = {
    "ru": "правительство заявило в понедельник что переговоры возобновятся после недели протестов в столице "
          "где тысячи людей собрались экономика рост «беспрецедентный»".split(),
    "zh": "政府 周一 表示 在 首都 经过 一周 的 抗议 之后 谈判 将 恢复 数千人 聚集 要求 改革 经济 增长 通胀 研究人员 发现".split(),
    "ja": "政府は 月曜日に 首都での 一週間の 抗議の後 交渉を 再開すると 発表した 数千人が 改革を 求めて 集まった 経済".split(),
}


def sentence(rng, words, n_min=8, n_max=22):
    text = " ".join(rng.choice(words) for _ in range(rng.randint(n_min, n_max)))
    return text[0].upper() + text[1:] + "."


def html_body(rng, words, target_bytes):
    parts = []
    size = 0
    while size < target_bytes:
        kind = rng.random()
        if kind < 0.55:
            s = " ".join(escape(sentence(rng, words)) for _ in range(rng.randint(2, 5)))
            if rng.random() < 0.4:
                s = s.replace(" ", " <strong>", 1).replace(".", ".</strong>", 1)
            if rng.random() < 0.5:
                words_in = s.split(" ")
                k = rng.randrange(len(words_in))
                if "<" not in words_in[k] and ">" not in words_in[k]:
                    words_in[k] = f'<a href="https://example.net/ref/{rng.randint(1, 9999)}">{words_in[k]}</a>'
                s = " ".join(words_in)
            if rng.random() < 0.2:
                s += "&nbsp;&mdash; " if rng.random() < 0.3 else " &amp; more&nbsp;"
            parts.append(f"<p>{s}</p>")
        elif kind < 0.65:
            parts.append(f"<blockquote><p>{escape(sentence(rng, words))}</p></blockquote>")
        elif kind < 0.75:
            items = "".join(f"<li>{escape(sentence(rng, words, 3, 8))}</li>" for _ in range(rng.randint(2, 5)))
            parts.append(f"<ul>{items}</ul>")
        elif kind < 0.85:
            parts.append(f'<p><img src="/images/{rng.randint(1, 99999)}.jpg" alt="{escape(sentence(rng, words, 2, 5))}" '
                         f'width="640" height="360"></p>')
        elif kind < 0.93:
            parts.append(f"<h2>{escape(sentence(rng, words, 2, 6))}</h2>")
        elif kind < 0.985:
            parts.append(f"<p><em>{escape(sentence(rng, words))}</em><br>{escape(sentence(rng, words))}</p>")
        elif kind < 0.995:
            parts.append(f'<iframe src="https://video.example/embed/{rng.randint(1, 99999)}" width="560" '
                         f'height="315" allowfullscreen></iframe>')
        else:
            parts.append('<script>window.analytics && analytics.track("view");</script>')
        size += len(parts[-1].encode())
    return "".join(parts)


def pick_words(rng, latin_only):
    if latin_only or rng.random() < 0.7:
        return rng.choice(list(LATIN_WORDS.values()))
    return rng.choice(list(OTHER_WORDS.values()))


def entries(rng, n, words, site, start):
    for i in range(n):
        url = f"{site}/{start.year}/{i + 1:04d}-{rng.randint(1000, 9999)}"
        published = start - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        body = html_body(rng, words, rng.randint(1000, 6000))
        yield {
            "title": sentence(rng, words, 4, 12)[:-1],
            "url": url,
            "id": url if rng.random() < 0.8 else f"tag:{site[8:]},2020:{rng.randint(1, 10**9)}",
            "published": published,
            "author": rng.choice(["Jia Puyu", "Anna Müller", "José Álvarez", "Ольга Иванова", "newsroom@example.org (Desk)"]),
            "categories": [rng.choice(["World", "Économie", "Wissenschaft", "Политика", "科技", "Sport"])
                           for _ in range(rng.randint(0, 3))],
            "summary": escape(sentence(rng, words)),
            "body": body,
        }


def rss2(rng, feed_id, items, encoding):
    site = f"https://news{feed_id}.example"
    out = [f'<?xml version="1.0" encoding="{encoding}"?>\n'
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
           f"<title>News {feed_id}</title>\n<link>{site}/</link>\n<description>Feed {feed_id}</description>\n"
           f'<language>en</language>\n<atom:link href="{site}/feed" rel="self" type="application/rss+xml"/>\n']
    for e in items:
        out.append("<item>\n")
        out.append(f"<title>{escape(e['title'])}</title>\n<link>{e['url']}</link>\n")
        out.append(f"<guid isPermaLink=\"{'true' if e['id'] == e['url'] else 'false'}\">{e['id']}</guid>\n")
        out.append(f"<pubDate>{format_datetime(e['published'])}</pubDate>\n")
        out.append(f"<dc:creator>{escape(e['author'])}</dc:creator>\n")
        for c in e["categories"]:
            out.append(f"<category>{escape(c)}</category>\n")
        out.append(f"<description>{e['summary']}</description>\n")
        if rng.random() < 0.5:
            out.append(f"<content:encoded><![CDATA[{e['body']}]]></content:encoded>\n")
        else:
            out.append(f"<content:encoded>{escape(e['body'])}</content:encoded>\n")
        out.append("</item>\n")
    out.append("</channel>\n</rss>\n")
    return "".join(out)


def atom(rng, feed_id, items, encoding):
    site = f"https://blog{feed_id}.example"
    out = [f'<?xml version="1.0" encoding="{encoding}"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
           f'<title>Blog {feed_id}</title>\n<link href="{site}/"/>\n<link rel="self" href="{site}/atom.xml"/>\n'
           f"<id>{site}/</id>\n<updated>2020-03-09T08:00:00Z</updated>\n"]
    for e in items:
        stamp = e["published"].strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(f"<entry>\n<title type=\"html\">{escape(escape(e['title']))}</title>\n"
                   f'<link rel="alternate" type="text/html" href="{e["url"]}"/>\n<id>{e["id"]}</id>\n'
                   f"<published>{stamp}</published>\n<updated>{stamp}</updated>\n"
                   f"<author><name>{escape(e['author'])}</name></author>\n")
        for c in e["categories"]:
            out.append(f'<category term="{escape(c, {chr(34): "&quot;"})}"/>\n')
        out.append(f"<summary>{e['summary']}</summary>\n")
        out.append(f"<content type=\"html\">{escape(e['body'])}</content>\n</entry>\n")
    out.append("</feed>\n")
    return "".join(out)


def rss1(rng, feed_id, items, encoding):
    site = f"https://journal{feed_id}.example"
    out = [f'<?xml version="1.0" encoding="{encoding}"?>\n'
           '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
           f'<channel rdf:about="{site}/rss"><title>Journal {feed_id}</title><link>{site}/</link>'
           f"<description>Journal {feed_id}</description><items><rdf:Seq>"]
    out += [f'<rdf:li rdf:resource="{e["url"]}"/>' for e in items]
    out.append("</rdf:Seq></items></channel>\n")
    for e in items:
        stamp = e["published"].strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(f'<item rdf:about="{e["url"]}">\n<title>{escape(e["title"])}</title>\n<link>{e["url"]}</link>\n'
                   f"<dc:date>{stamp}</dc:date>\n<dc:creator>{escape(e['author'])}</dc:creator>\n")
        for c in e["categories"]:
            out.append(f"<dc:subject>{escape(c)}</dc:subject>\n")
        out.append(f"<description>{escape(e['body'])}</description>\n</item>\n")
    out.append("</rdf:RDF>\n")
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--megabytes", type=float, default=110)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = random.Random(args.seed)
    start = datetime(2020, 3, 9, 8, 0, tzinfo=timezone.utc)
    written = 0
    feed_id = 0
    while written < args.megabytes * 1e6:
        feed_id += 1
        latin1 = rng.random() < 0.05
        words = pick_words(rng, latin1)
        items = list(entries(rng, rng.randint(10, 50), words, f"https://site{feed_id}.example", start))
        kind = rng.random()
        encoding = "windows-1252" if latin1 else "utf-8"
        if kind < 0.6:
            text, ext = rss2(rng, feed_id, items, encoding), "rss2.xml"
        elif kind < 0.9:
            text, ext = atom(rng, feed_id, items, encoding), "atom.xml"
        else:
            text, ext = rss1(rng, feed_id, items, encoding), "rss1.xml"
        data = text.encode("cp1252", errors="xmlcharrefreplace") if latin1 else text.encode()
        with open(os.path.join(args.out_dir, f"feed{feed_id:05d}.{ext}"), "wb") as f:
            f.write(data)
        written += len(data)
    print(f"{feed_id} feeds, {written / 1e6:.1f} MB in {args.out_dir}")


if __name__ == "__main__":
    main()
