#!/usr/bin/env python3
"""Writes the parse fixture suite (tests/data/parse/suite/NAME.xml|.json|.atom, one
behaviour per document, named for it) and checks the reviewed expected output.

    python3 tests/data/parse/generate_suite.py            # (re)write the documents
    python3 tests/data/parse/generate_suite.py --check    # check *.expected.* against FACTS

The expected files themselves are written by scripts/update-parse-fixtures.sh with
`feedd parse` and then reviewed; --check verifies the key facts of each one (the fields
the document exists to test), so a regenerated expected file that got a fact wrong is
caught instead of being copied blindly. Every document is parsed with
--url https://feed.example/feed.xml and, when NAME.content-type exists, its content.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "suite")
ARTICLE = os.path.join(HERE, "..", "news-article.txt")

DOCS = {}    # file name -> bytes
FACTS = {}   # stem -> {json path: value}; "error" -> substring of the error line
CONTENT_TYPES = {}


def add(name, data, facts, content_type=None):
    assert "." in name
    stem = name.rsplit(".", 1)[0]
    assert stem not in FACTS, stem
    DOCS[name] = data if isinstance(data, bytes) else data.encode("utf-8")
    FACTS[stem] = facts
    if content_type:
        CONTENT_TYPES[stem] = content_type


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rss(items="", channel="<title>Feed</title><link>https://site.example/</link>", decl='<?xml version="1.0" encoding="utf-8"?>\n',
        ns="", version="2.0"):
    return f'{decl}<rss version="{version}"{ns}><channel>{channel}{items}</channel></rss>\n'


def item(inner):
    return f"<item>{inner}</item>"


def atom(entries="", head="<title>Feed</title><id>urn:feed</id>", ns=""):
    return f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"{ns}>{head}{entries}</feed>\n'


# ---------------------------------------------------------------- encodings
LEGACY = [
    # (label, python codec, text, reported)
    ("gb2312", "gbk", "新华社北京电", "gb18030"),
    ("GB2312", "gbk", "人民日报评论", "gb18030"),
    ("gbk", "gbk", "中国新闻网", "gb18030"),
    ("GBK", "gbk", "经济日报", "gb18030"),
    ("gb18030", "gb18030", "中文 𠀀 字", "gb18030"),
    ("x-gbk", "gbk", "光明日报", "gb18030"),
    ("cp936", "gbk", "央视新闻", "gb18030"),
    ("big5", "big5hkscs", "中央社 台北", "big5-hkscs"),
    ("big5-hkscs", "big5hkscs", "香港電台", "big5-hkscs"),
    ("shift_jis", "cp932", "日本語ニュース", "cp932"),
    ("Shift_JIS", "cp932", "東京～大阪", "cp932"),
    ("sjis", "cp932", "朝日新聞", "cp932"),
    ("windows-31j", "cp932", "①番組", "cp932"),
    ("euc-jp", "euc_jp", "日本経済新聞", "euc-jp"),
    ("EUC-JP", "euc_jp", "読売新聞", "euc-jp"),
    ("iso-2022-jp", "iso2022_jp", "毎日新聞", "iso-2022-jp"),
    ("euc-kr", "cp949", "한국어 뉴스", "cp949"),
    ("ks_c_5601-1987", "cp949", "조선일보", "cp949"),
    ("koi8-r", "koi8_r", "Новости дня", "koi8-r"),
    ("KOI8-R", "koi8_r", "Известия", "koi8-r"),
    ("koi8-u", "koi8_u", "Їжа і ґанок", "koi8-u"),
    ("iso-8859-1", "cp1252", "Café “quoted” €", "windows-1252"),
    ("ISO-8859-1", "latin-1", "Ærø Ö", "windows-1252"),
    ("latin1", "latin-1", "naïve façade", "windows-1252"),
    ("us-ascii", "cp1252", "plain ascii", "windows-1252"),
    ("windows-1252", "cp1252", "smart ‘quotes’ – dash", "windows-1252"),
    ("iso-8859-9", "cp1254", "İstanbul ğüşöç", "windows-1254"),
    ("iso-8859-11", "cp874", "ภาษาไทย", "windows-874"),
    ("tis-620", "cp874", "ข่าว", "windows-874"),
]
for n in range(2, 17):
    if n in (9, 11, 12):
        continue
    samples = {2: "Žluťoučký kůň", 3: "Ħaġar Ġ", 4: "Ąčęėįšųūž", 5: "Привет", 6: "مرحبا", 7: "Ελληνικά",
               8: "שלום", 10: "Ŋŧĸ Āē", 13: "Ąčęėįšųūž „x”", 14: "Ŵŷ Ẁ", 15: "€ œ Ÿ", 16: "Ș ș Ț ț €"}
    codec = {16: "iso8859_16"}.get(n, f"iso8859_{n}")
    LEGACY.append((f"iso-8859-{n}", codec, samples[n], f"iso-8859-{n}"))
for n, sample in enumerate(["Zażółć gęślą", "Москва", "“smart” €", "Αθήνα", "İzmir", "שלום", "عربي", "Rīga", "Đi ơn ư ₫"]):
    if n != 2:  # windows-1252 is listed above
        LEGACY.append((f"windows-125{n}", f"cp125{n}", sample, f"windows-125{n}"))
    LEGACY.append((f"cp125{n}", f"cp125{n}", sample, f"windows-125{n}"))

for label, codec, text, reported in LEGACY:
    safe = label.lower().replace("_", "-") + ("" if label == label.lower() else "-upper-case-label")
    doc = rss(item(f"<title>{text}</title><guid>urn:1</guid>"), channel=f"<title>{text}</title>",
              decl=f'<?xml version="1.0" encoding="{label}"?>\n')
    add(f"encoding-declared-{safe}-{codec.replace('_', '')}.xml", doc.encode(codec),
        {"encoding": reported, "feed.title": text, "entries.0.title": text, "warnings": []})

for codec, reported in [("gbk", "gb18030"), ("cp932", "cp932"), ("koi8_r", "koi8-r"), ("cp1251", "windows-1251"),
                        ("big5hkscs", "big5-hkscs"), ("cp949", "cp949")]:
    text = {"gbk": "新闻", "cp932": "ニュース", "koi8_r": "Новости", "cp1251": "Новости", "big5hkscs": "新聞",
            "cp949": "뉴스"}[codec]
    label = {"gbk": "GB2312", "cp932": "Shift_JIS", "koi8_r": "KOI8-R", "cp1251": "windows-1251",
             "big5hkscs": "Big5", "cp949": "EUC-KR"}[codec]
    add(f"encoding-http-charset-{label.lower()}.xml", rss(channel=f"<title>{text}</title>", decl="").encode(codec),
        {"encoding": reported, "feed.title": text}, content_type=f"application/rss+xml; charset={label}")
add("encoding-http-charset-beats-declaration.xml",
    rss(channel="<title>Ωmega</title>", decl='<?xml version="1.0" encoding="iso-8859-1"?>\n').encode("iso8859_7"),
    {"encoding": "iso-8859-7", "feed.title": "Ωmega"}, content_type="text/xml; charset=ISO-8859-7")
add("encoding-http-charset-unknown-ignored.xml", rss(channel="<title>café</title>"),
    {"encoding": "utf-8", "feed.title": "café", "warnings": ["unknown Content-Type charset 'x-bogus' ignored"]},
    content_type="text/xml; charset=x-bogus")

WIDE = "Wide ü 中 😀"
for codec, reported in [("utf-16-le", "utf-16le"), ("utf-16-be", "utf-16be"), ("utf-32-le", "utf-32le"), ("utf-32-be", "utf-32be")]:
    doc = rss(channel=f"<title>{WIDE}</title>", decl='<?xml version="1.0" encoding="utf-16"?>\n' if "16" in codec else
              '<?xml version="1.0" encoding="utf-32"?>\n')
    add(f"encoding-{reported}-with-bom.xml", ("\ufeff" + doc).encode(codec), {"encoding": reported, "feed.title": WIDE, "warnings": []})
    add(f"encoding-{reported}-without-bom.xml", doc.encode(codec), {"encoding": reported, "feed.title": WIDE})
add("encoding-utf8-bom.xml", "\ufeff" + rss(channel="<title>BOM café</title>"), {"encoding": "utf-8", "feed.title": "BOM café", "warnings": []})
add("encoding-utf8-bom-declaration-disagrees.xml",
    "\ufeff" + rss(channel="<title>BOM café</title>", decl='<?xml version="1.0" encoding="windows-1252"?>\n'),
    {"encoding": "utf-8", "feed.title": "BOM café",
     "warnings": ["byte order mark says utf-8, the declaration says 'windows-1252'; the byte order mark wins"]})
add("encoding-utf16-label-on-utf8-bytes.xml", rss(channel="<title>café</title>", decl='<?xml version="1.0" encoding="UTF-16"?>\n'),
    {"encoding": "utf-8", "feed.title": "café", "warnings": []})
add("encoding-undeclared-utf8.xml", rss(channel="<title>Grüße</title>", decl=""), {"encoding": "utf-8", "feed.title": "Grüße"})
add("encoding-undeclared-windows1252-detected.xml", rss(channel="<title>“Café” – naïve</title>", decl="").encode("cp1252"),
    {"encoding": "windows-1252", "feed.title": "“Café” – naïve",
     "warnings": ["document not utf-8 and declares no encoding; read as windows-1252"]})
add("encoding-declared-utf8-really-windows1252.xml", rss(channel="<title>“Café” €</title>").encode("cp1252"),
    {"encoding": "windows-1252", "feed.title": "“Café” €",
     "warnings": ["document declared utf-8 but is not; read as windows-1252"]})
add("encoding-declared-utf8-really-gbk.xml", rss(channel="<title>新华社北京电今天的新闻</title>").encode("gbk"),
    {"encoding": "gb18030", "feed.title": "新华社北京电今天的新闻", "warnings": ["document declared utf-8 but is not; read as gb18030"]})
add("encoding-utf8-with-stray-invalid-byte.xml", rss(channel="<title>café XY</title>").encode("utf-8").replace(b"XY", b"\xff"),
    {"encoding": "utf-8", "feed.title": "café \ufffd", "warnings": ["1 invalid utf-8 byte sequence(s) replaced with U+FFFD"]})
add("encoding-unknown-declared-label.xml", rss(channel="<title>café</title>", decl='<?xml version="1.0" encoding="x-klingon"?>\n'),
    {"encoding": "utf-8", "warnings": ["unknown declared encoding 'x-klingon' ignored"]})
add("encoding-gbk-invalid-sequence-replaced.xml",
    rss(channel="<title>新闻XY</title>", decl='<?xml version="1.0" encoding="gbk"?>\n').encode("gbk").replace(b"XY", b"\x81\x20"),
    {"encoding": "gb18030", "warnings": ["1 invalid gb18030 byte sequence(s) replaced with U+FFFD"]})
add("encoding-utf16le-lone-surrogate.xml",
    rss(channel="<title>aXb</title>", decl="").encode("utf-16-le").replace("X".encode("utf-16-le"), b"\x00\xd8"),
    {"encoding": "utf-16le", "feed.title": "a\ufffdb"})

add("encoding-undeclared-iso-2022-jp-detected.xml", rss(channel="<title>毎日新聞</title>", decl="").encode("iso2022_jp"),
    {"encoding": "iso-2022-jp", "feed.title": "毎日新聞", "warnings": []})
add("encoding-utf8-bom-with-invalid-bytes-stays-utf8.xml",
    b"\xef\xbb\xbf" + rss(channel="<title>caf\u00e9 XY</title>", decl="").encode("utf-8").replace(b"XY", b"\xe9"),
    {"encoding": "utf-8", "feed.title": "caf\u00e9 \ufffd"})
add("encoding-euc-jp-http-charset.xml", rss(channel="<title>日本語</title>", decl="").encode("euc_jp"),
    {"encoding": "euc-jp", "feed.title": "日本語"}, content_type="application/xml; charset=\"EUC-JP\"")

# Real-world shapes: Chinese news in GBK and GB18030, Japanese Shift_JIS.
CN_ITEMS = [("习近平会见外国领导人", "新华社北京3月9日电"), ("国务院常务会议部署工作", "记者 王明"), ("全国两会新闻中心", "人民网")]
cn = "".join(item(f"<title>{t}</title><link>http://news.example.cn/{i}.html</link><description><![CDATA[<p>{d}：{t}。</p>]]></description>"
                  f"<pubDate>Mon, 09 Mar 2020 1{i}:00:00 +0800</pubDate><category>时政</category>") for i, (t, d) in enumerate(CN_ITEMS))
for label, codec in [("gb2312", "gbk"), ("GBK", "gbk"), ("GB18030", "gb18030")]:
    doc = rss(cn, channel="<title>新华网 - 时政新闻</title><link>http://news.example.cn/</link><language>zh-cn</language>",
              decl=f'<?xml version="1.0" encoding="{label}"?>\n')
    add(f"realworld-chinese-news-{label.lower()}.xml", doc.encode(codec),
        {"encoding": "gb18030", "feed.title": "新华网 - 时政新闻", "entries.0.title": CN_ITEMS[0][0],
         "entries.2.title": CN_ITEMS[2][0], "entries.0.published": "2020-03-09T02:00:00Z",
         "entries.0.categories": ["时政"], "warnings": []})
jp = "".join(item(f"<title>{t}</title><link>https://www.example.jp/news/{i}</link><description>{t}の詳細～</description>"
                  f"<pubDate>Mon, 09 Mar 2020 0{i}:30:00 +0900</pubDate>") for i, t in enumerate(["東京五輪の準備進む", "株価が反発", "気象庁が注意報"]))
add("realworld-japanese-news-shift-jis.xml",
    rss(jp, channel="<title>ニュース速報</title><link>https://www.example.jp/</link><language>ja</language>",
        decl='<?xml version="1.0" encoding="Shift_JIS"?>\n').encode("cp932"),
    {"encoding": "cp932", "feed.title": "ニュース速報", "entries.0.title": "東京五輪の準備進む",
     "entries.1.published": "2020-03-08T16:30:00Z", "entries.0.summary": "東京五輪の準備進むの詳細～", "warnings": []})

# The news article with curly quotes and its "March 09,2020" date.
with open(ARTICLE, encoding="utf-8") as f:
    lines = [l.strip() for l in f.read().splitlines() if l.strip()]
headline = lines[1]
body = "".join(f"<p>{esc(l)}</p>" for l in lines[3:12])
for name, enc in [("utf8", "utf-8"), ("windows1252", "cp1252")]:
    decl = f'<?xml version="1.0" encoding="{"utf-8" if enc == "utf-8" else "windows-1252"}"?>\n'
    doc = rss(item(f"<title>{esc(headline)}</title><link>/news/2020/03/09/rights.html</link><pubDate>March 09,2020</pubDate>"
                   f"<author>chinahumanrights.org</author><description>{esc(body)}</description>"),
              channel="<title>China Human Rights</title><link>http://www.chinahumanrights.example/</link>", decl=decl)
    add(f"realworld-news-article-curly-quotes-{name}.xml", doc.encode(enc, errors="replace"),
        {"encoding": "utf-8" if enc == "utf-8" else "windows-1252", "entries.0.title": headline,
         "entries.0.published": "2020-03-09T00:00:00Z",
         "entries.0.link": "http://www.chinahumanrights.example/news/2020/03/09/rights.html",
         "entries.0.authors": ["chinahumanrights.org"], "warnings": []})

# ---------------------------------------------------------------- dates
DATES = [
    ("rfc822-gmt", "Mon, 09 Mar 2020 08:00:00 GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-ut", "Mon, 09 Mar 2020 08:00:00 UT", "2020-03-09T08:00:00Z"),
    ("rfc822-utc", "Mon, 09 Mar 2020 08:00:00 UTC", "2020-03-09T08:00:00Z"),
    ("rfc822-z", "Mon, 09 Mar 2020 08:00:00 Z", "2020-03-09T08:00:00Z"),
    ("rfc822-plus-0100", "Mon, 09 Mar 2020 08:00:00 +0100", "2020-03-09T07:00:00Z"),
    ("rfc822-minus-0530", "Mon, 09 Mar 2020 08:00:00 -0530", "2020-03-09T13:30:00Z"),
    ("rfc822-colon-offset", "Mon, 09 Mar 2020 08:00:00 +01:00", "2020-03-09T07:00:00Z"),
    ("rfc822-est", "Mon, 09 Mar 2020 08:00:00 EST", "2020-03-09T13:00:00Z"),
    ("rfc822-edt", "Mon, 09 Mar 2020 08:00:00 EDT", "2020-03-09T12:00:00Z"),
    ("rfc822-cst", "Mon, 09 Mar 2020 08:00:00 CST", "2020-03-09T14:00:00Z"),
    ("rfc822-cdt", "Mon, 09 Mar 2020 08:00:00 CDT", "2020-03-09T13:00:00Z"),
    ("rfc822-mst", "Mon, 09 Mar 2020 08:00:00 MST", "2020-03-09T15:00:00Z"),
    ("rfc822-mdt", "Mon, 09 Mar 2020 08:00:00 MDT", "2020-03-09T14:00:00Z"),
    ("rfc822-pst", "Mon, 09 Mar 2020 08:00:00 PST", "2020-03-09T16:00:00Z"),
    ("rfc822-pdt", "Mon, 09 Mar 2020 08:00:00 PDT", "2020-03-09T15:00:00Z"),
    ("rfc822-military-a", "Mon, 09 Mar 2020 08:00:00 A", "2020-03-09T09:00:00Z"),
    ("rfc822-military-m", "Mon, 09 Mar 2020 08:00:00 M", "2020-03-09T20:00:00Z"),
    ("rfc822-military-n", "Mon, 09 Mar 2020 08:00:00 N", "2020-03-09T07:00:00Z"),
    ("rfc822-military-y", "Mon, 09 Mar 2020 08:00:00 Y", "2020-03-08T20:00:00Z"),
    ("rfc822-no-weekday", "09 Mar 2020 08:00:00 GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-no-seconds", "Mon, 09 Mar 2020 08:00 GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-two-digit-year", "Mon, 09 Mar 20 08:00:00 GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-two-digit-year-1998", "Thu, 01 Jan 98 00:00:00 GMT", "1998-01-01T00:00:00Z"),
    ("rfc822-single-digit-day", "Mon, 9 Mar 2020 08:00:00 GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-extra-spaces", "Mon,   09  Mar  2020   08:00:00   GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-no-space-after-comma", "Mon,09 Mar 2020 08:00:00 GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-lower-case", "mon, 09 mar 2020 08:00:00 gmt", "2020-03-09T08:00:00Z"),
    ("rfc822-full-names", "Monday, 09 March 2020 08:00:00 GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-comment-zone", "Mon, 09 Mar 2020 08:00:00 -0800 (PST)", "2020-03-09T16:00:00Z"),
    ("rfc822-gmt-offset", "Mon, 09 Mar 2020 08:00:00 GMT+0100", "2020-03-09T07:00:00Z"),
    ("rfc822-year-rollover", "Sun, 31 Dec 2023 23:30:00 -0100", "2024-01-01T00:30:00Z"),
    ("rfc822-leap-day", "Sat, 29 Feb 2020 12:00:00 GMT", "2020-02-29T12:00:00Z"),
    ("rfc822-dashed", "09-Mar-2020 08:00:00 GMT", "2020-03-09T08:00:00Z"),
    ("rfc822-am-pm", "Mar 9 2020 8:00 PM EST", "2020-03-10T01:00:00Z"),
    ("rfc822-cet", "Mon, 09 Mar 2020 08:00:00 CET", "2020-03-09T07:00:00Z"),
    ("rfc822-jst", "Mon, 09 Mar 2020 08:00:00 JST", "2020-03-08T23:00:00Z"),
    ("loose-march-09-comma-2020", "March 09,2020", "2020-03-09T00:00:00Z"),
    ("loose-march-9-2020", "March 9, 2020", "2020-03-09T00:00:00Z"),
    ("loose-mar-dot", "Mar. 9, 2020", "2020-03-09T00:00:00Z"),
    ("asctime", "Mon Mar  9 08:00:00 2020", "2020-03-09T08:00:00Z"),
    ("asctime-zone-before-year", "Mon Mar 09 08:00:00 UTC 2020", "2020-03-09T08:00:00Z"),
    ("iso-utc", "2020-03-09T08:00:00Z", "2020-03-09T08:00:00Z"),
    ("iso-fraction", "2020-03-09T08:00:00.123456Z", "2020-03-09T08:00:00Z"),
    ("iso-comma-fraction", "2020-03-09T08:00:00,5Z", "2020-03-09T08:00:00Z"),
    ("iso-offset", "2020-03-09T08:00:00+01:00", "2020-03-09T07:00:00Z"),
    ("iso-offset-no-colon", "2020-03-09T08:00:00-0500", "2020-03-09T13:00:00Z"),
    ("iso-offset-hours-only", "2020-03-09T08:00:00+01", "2020-03-09T07:00:00Z"),
    ("iso-lower-case", "2020-03-09t08:00:00z", "2020-03-09T08:00:00Z"),
    ("iso-no-seconds", "2020-03-09T08:00Z", "2020-03-09T08:00:00Z"),
    ("iso-date-only", "2020-03-09", "2020-03-09T00:00:00Z"),
    ("iso-year-month", "2020-03", "2020-03-01T00:00:00Z"),
    ("iso-year", "2020", "2020-01-01T00:00:00Z"),
    ("iso-basic", "20200309T080000Z", "2020-03-09T08:00:00Z"),
    ("iso-basic-no-seconds", "20200309T0800Z", "2020-03-09T08:00:00Z"),
    ("iso-basic-offset", "20200309T080000+0100", "2020-03-09T07:00:00Z"),
    ("iso-basic-date", "20200309", "2020-03-09T00:00:00Z"),
    ("iso-midnight-24", "2020-03-09T24:00:00Z", "2020-03-10T00:00:00Z"),
    ("iso-leap-second", "2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"),
    ("whitespace-around", "  \n Mon, 09 Mar 2020 08:00:00 GMT \n ", "2020-03-09T08:00:00Z"),
]
for name, text, expected in DATES:
    # asctime carries no zone: read as UTC, which is worth a warning like any zone-less time.
    warnings = [f"entry 1: date '{text}' has no time zone; read as UTC"] if name == "asctime" else []
    add(f"date-{name}.xml", rss(item(f"<title>t</title><guid>urn:d</guid><pubDate>{text}</pubDate>")),
        {"entries.0.published": expected, "warnings": warnings})
    if name.startswith("iso") and name not in ("iso-year", "iso-year-month"):
        add(f"date-atom-{name}.atom", atom(f"<entry><id>urn:e</id><title>t</title><updated>{text}</updated></entry>"),
            {"entries.0.updated": expected, "warnings": []})
BAD_DATES = [
    ("unparseable-words", "sometime last week"),
    ("unparseable-empty-ish", "n/a"),
    ("impossible-february-30", "2020-02-30T00:00:00Z"),
    ("impossible-month-13", "2020-13-01"),
    ("impossible-day-32", "Mon, 32 Mar 2020 08:00:00 GMT"),
    ("impossible-hour-25", "Mon, 09 Mar 2020 25:00:00 GMT"),
    ("unknown-zone", "Mon, 09 Mar 2020 08:00:00 XYZ"),
    ("military-j-is-not-a-zone", "Mon, 09 Mar 2020 08:00:00 J"),
    ("year-zero", "0000-01-01T00:00:00Z"),
    ("year-99999", "Mon, 09 Mar 99999 08:00:00 GMT"),
    ("year-99999-iso", "99999-03-09T08:00:00Z"),
    ("overflowing-number", "Mon, 09 Mar 2020 99999999999999999999:00:00 GMT"),
    ("trailing-garbage", "Mon, 09 Mar 2020 08:00:00 GMT and more"),
]
for name, text in BAD_DATES:
    add(f"date-{name}-is-null.xml", rss(item(f"<title>t</title><guid>urn:d</guid><pubDate>{text}</pubDate>")),
        {"entries.0.published": None, "warnings": [f"entry 1: unparseable date '{text}'"]})
add("date-without-zone-read-as-utc.xml", rss(item("<title>t</title><pubDate>2020-03-09 08:00:00</pubDate>")),
    {"entries.0.published": "2020-03-09T08:00:00Z",
     "warnings": ["entry 1: date '2020-03-09 08:00:00' has no time zone; read as UTC"]})
add("date-rfc822-without-zone-read-as-utc.xml", rss(item("<title>t</title><pubDate>Mon, 09 Mar 2020 08:00:00</pubDate>")),
    {"entries.0.published": "2020-03-09T08:00:00Z",
     "warnings": ["entry 1: date 'Mon, 09 Mar 2020 08:00:00' has no time zone; read as UTC"]})
add("date-before-1970-kept-and-flagged.xml", rss(item("<title>t</title><pubDate>Thu, 01 Jan 1925 00:00:00 GMT</pubDate>")),
    {"entries.0.published": "1925-01-01T00:00:00Z",
     "warnings": ["entry 1: date 'Thu, 01 Jan 1925 00:00:00 GMT' is before 1970; kept"]})
add("date-far-future-kept-and-flagged.xml", rss(item("<title>t</title><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>")),
    {"entries.0.published": "2100-01-01T00:00:00Z",
     "warnings": ["entry 1: date 'Fri, 01 Jan 2100 00:00:00 GMT' is in the future; kept"]})
add("date-pubdate-beats-dc-date.xml",
    rss(item("<title>t</title><dc:date>2021-01-01T00:00:00Z</dc:date><pubDate>Mon, 09 Mar 2020 08:00:00 GMT</pubDate>"),
        ns=' xmlns:dc="http://purl.org/dc/elements/1.1/"'), {"entries.0.published": "2020-03-09T08:00:00Z"})
add("date-dc-date-when-no-pubdate.xml",
    rss(item("<title>t</title><dc:date>2021-01-01T00:00:00Z</dc:date>"), ns=' xmlns:dc="http://purl.org/dc/elements/1.1/"'),
    {"entries.0.published": "2021-01-01T00:00:00Z"})
add("date-bad-pubdate-falls-back-to-dc-date.xml",
    rss(item("<title>t</title><pubDate>garbage</pubDate><dc:date>2021-01-01T00:00:00Z</dc:date>"),
        ns=' xmlns:dc="http://purl.org/dc/elements/1.1/"'),
    {"entries.0.published": "2021-01-01T00:00:00Z", "warnings": ["entry 1: unparseable date 'garbage'"]})
add("date-channel-lastbuilddate-beats-pubdate.xml",
    rss(channel="<title>t</title><pubDate>Mon, 09 Mar 2020 08:00:00 GMT</pubDate><lastBuildDate>Tue, 10 Mar 2020 08:00:00 GMT</lastBuildDate>"),
    {"feed.updated": "2020-03-10T08:00:00Z"})

# ---------------------------------------------------------------- broken XML
ENTITIES = {"nbsp": "\u00a0", "eacute": "é", "rsquo": "’", "lsquo": "‘", "ldquo": "“", "rdquo": "”", "mdash": "—",
            "ndash": "–", "hellip": "…", "copy": "©", "reg": "®", "trade": "™", "euro": "€", "pound": "£",
            "middot": "·", "laquo": "«", "raquo": "»", "auml": "ä", "szlig": "ß", "ccedil": "ç", "ntilde": "ñ",
            "deg": "°", "times": "×", "frac12": "½", "bull": "•"}
for name, char in ENTITIES.items():
    add(f"broken-undefined-entity-{name}.xml", rss(item(f"<title>a&{name};b</title>")),
        {"entries.0.title": ("a b" if name == "nbsp" else f"a{char}b"),
         "warnings": [f"line 2: undefined entity &{name}; recovered"]})
add("broken-bare-ampersand.xml", rss(item("<title>Tom & Jerry</title>")),
    {"entries.0.title": "Tom & Jerry", "warnings": ["line 2: 1 bare '&' escaped"]})
add("broken-bare-ampersand-in-url.xml", rss(item("<title>t</title><link>https://site.example/?a=1&b=2</link>")),
    {"entries.0.link": "https://site.example/?a=1&b=2", "warnings": ["line 2: 1 bare '&' escaped"]})
add("broken-unknown-entity-kept-as-text.xml", rss(item("<title>x &bogus; y</title>")),
    {"entries.0.title": "x &bogus; y", "warnings": ["line 2: 1 bare '&' escaped"]})
add("broken-entity-in-cdata-untouched.xml", rss(item("<title>t</title><description><![CDATA[<p>a &nbsp; b</p>]]></description>")),
    {"entries.0.summary": "<p>a \u00a0 b</p>", "warnings": []})
add("broken-control-characters.xml", rss(item("<title>bad\x01\x02\x1b title</title>")),
    {"entries.0.title": "bad title", "warnings": ["3 control character(s) removed"]})
add("broken-nul-byte.xml", rss(item("<title>nul\x00byte</title>")),
    {"entries.0.title": "nulbyte", "warnings": ["1 control character(s) removed"]})
add("broken-reference-to-nul.xml", rss(item("<title>a&#0;b</title>")),
    {"entries.0.title": "a\ufffdb", "warnings": ["line 2: reference &#0; to a character XML forbids replaced with U+FFFD"]})
add("broken-reference-to-surrogate.xml", rss(item("<title>a&#xD800;b</title>")),
    {"entries.0.title": "a\ufffdb", "warnings": ["line 2: reference &#xD800; to a character XML forbids replaced with U+FFFD"]})
add("broken-reference-past-10ffff.xml", rss(item("<title>a&#x110000;b</title>")),
    {"entries.0.title": "a\ufffdb"})
add("broken-reference-huge-number.xml", rss(item("<title>a&#99999999999999999999999;b</title>")),
    {"entries.0.title": "a\ufffdb"})
add("broken-reference-valid-astral.xml", rss(item("<title>a&#x1F600;b</title>")), {"entries.0.title": "a😀b", "warnings": []})
add("broken-whitespace-before-declaration.xml", "\n\n   " + rss(channel="<title>ws</title>"), {"feed.title": "ws", "warnings": []})
add("broken-junk-before-declaration.xml", "garbage" + rss(channel="<title>junk</title>"),
    {"feed.title": "junk", "warnings": ["7 byte(s) of junk before the XML declaration dropped"]})
add("broken-php-warning-before-declaration.xml", "<br />\n<b>Warning</b>: something in x.php<br />\n" + rss(channel="<title>php</title>"),
    {"feed.title": "php"})
add("broken-unclosed-item.xml", rss(item("<title>one</title>").replace("</item>", "") + item("<title>two</title>")),
    {"feed.title": "Feed", "entries.0.title": "one", "entries.1.title": "two"})
add("broken-mismatched-tags.xml", rss(item("<title>one</title><description>x</desc>") + item("<title>two</title>")),
    {"entries.0.title": "one"})
add("broken-truncated-mid-item.xml", rss(item("<title>one</title>") + item("<title>two</title>") + item("<title>three"))[:-30],
    {"entries.0.title": "one", "entries.1.title": "two"})
add("broken-truncated-after-items.xml", rss(item("<title>one</title>") + item("<title>two</title>"))[:-20],
    {"entries.0.title": "one", "entries.1.title": "two"})
add("broken-unclosed-channel.xml", '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>' + item("<title>one</title>"),
    {"feed.title": "T", "entries.0.title": "one"})
add("broken-attribute-without-quotes.xml", rss(item("<title>t</title><enclosure url=https://site.example/a.mp3 type=audio/mpeg/>")
    + item("<title>after</title>")),
    {"entries.0.title": "t", "entries.0.enclosures.0.url": "https://site.example/a.mp3",
     "entries.0.enclosures.0.type": "audio/mpeg", "entries.1.title": "after"})
add("broken-atom-link-href-without-quotes.atom",
    atom("<entry><id>urn:1</id><title>one</title><link rel=alternate href=https://site.example/1 /></entry>"
         "<entry><id>urn:2</id><title>two</title><link href=https://site.example/2></link></entry>"),
    {"entries.0.link": "https://site.example/1", "entries.1.title": "two", "entries.1.link": "https://site.example/2"})
add("broken-xhtml-content-attribute-without-quotes.atom",
    atom("<entry><id>urn:1</id><title>one</title><content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>"
         "<a href=/x>x</a> after <td nowrap>c</td></div></content></entry><entry><id>urn:2</id><title>two</title></entry>"),
    {"entries.0.content": '<a href="https://feed.example/x">x</a> after <td>c</td>', "entries.1.title": "two"})
add("broken-doctype-entity-not-expanded.xml",
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n<rss version="2.0"><channel><title>x&c;y</title></channel></rss>\n',
    {"feed.title": "x&c;y"})
add("broken-external-entity-not-loaded.xml",
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<rss version="2.0"><channel><title>x&xxe;y</title></channel></rss>\n', {"feed.title": "x&xxe;y"})
add("broken-netscape-doctype-entities.xml",
    '<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
    '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel><title>caf&eacute;</title></channel></rss>\n',
    {"format": "rss0.91", "feed.title": "café"})
add("not-a-feed-html-page.xml", "<!DOCTYPE html><html><head><title>Home</title></head><body>hi</body></html>",
    {"error": "an HTML page, not a feed"})
add("not-a-feed-html-without-doctype.xml", "<html><body><p>hello</p></body></html>", {"error": "an HTML page, not a feed"})
add("not-a-feed-plain-text.xml", "Just some text, no markup at all.", {"error": "neither XML nor JSON"})
add("not-a-feed-empty.xml", "", {"error": "empty document"})
add("not-a-feed-whitespace.xml", " \n\t \n", {"error": "empty document"})
add("not-a-feed-opml.xml", '<?xml version="1.0"?><opml version="2.0"><head/><body/></opml>', {"error": "unknown root element <opml>"})
add("not-a-feed-svg.xml", '<svg xmlns="http://www.w3.org/2000/svg"/>', {"error": "unknown root element <svg>"})
add("not-a-feed-json-without-version.json", '{"title": "x", "items": []}', {"error": "JSON without a jsonfeed.org version"})

# ---------------------------------------------------------------- formats
add("format-rss090.xml", '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Old</title><link>https://old.example/</link></channel>'
    '<item><title>i1</title><link>https://old.example/1</link></item></rdf:RDF>',
    {"format": "rss0.90", "feed.title": "Old", "entries.0.link": "https://old.example/1"})
add("format-rss091-netscape.xml", rss(item("<title>i</title><link>https://a.example/i</link>"), version="0.91"), {"format": "rss0.91"})
add("format-rss091-userland.xml", rss(item("<title>i</title>"), version="0.91", decl=""), {"format": "rss0.91"})
add("format-rss092.xml", rss(item("<title>i</title><enclosure url='https://a.example/x.mp3' length='5' type='audio/mpeg'/>"),
    version="0.92"), {"format": "rss0.92", "entries.0.enclosures.0.length": 5})
add("format-rss093.xml", rss(item("<title>i</title>"), version="0.93"), {"format": "rss2.0"})
add("format-rss094.xml", rss(item("<title>i</title>"), version="0.94"), {"format": "rss2.0"})
add("format-rss20.xml", rss(item("<title>i</title>")), {"format": "rss2.0"})
add("format-rss20-no-version.xml", '<rss><channel><title>x</title></channel></rss>', {"format": "rss2.0"})
add("format-rss20-userland-namespace.xml", '<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>U</title>'
    '<item><title>i</title></item></channel></rss>', {"format": "rss2.0", "entries.0.title": "i"})
add("format-rss10.xml", '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="https://r.example/">'
    '<title>RDF</title><link>https://r.example/</link><description>d</description></channel>'
    '<item rdf:about="https://r.example/1"><title>one</title><link>https://r.example/1</link><dc:date>2020-03-09T08:00:00Z</dc:date>'
    '<dc:creator>Ann</dc:creator></item></rdf:RDF>',
    {"format": "rss1.0", "entries.0.id": "https://r.example/1", "entries.0.published": "2020-03-09T08:00:00Z",
     "entries.0.authors": ["Ann"]})
add("format-atom03.atom", '<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>A03</title><tagline>tl</tagline>'
    '<modified>2020-03-09T08:00:00Z</modified><entry><id>urn:1</id><title>e</title><issued>2020-03-09T07:00:00Z</issued>'
    '<modified>2020-03-09T08:00:00Z</modified><link rel="alternate" href="https://a03.example/1"/></entry></feed>',
    {"format": "atom0.3", "feed.description": "tl", "entries.0.published": "2020-03-09T07:00:00Z",
     "entries.0.link": "https://a03.example/1"})
add("format-atom10.atom", atom("<entry><id>urn:1</id><title>e</title><updated>2020-03-09T08:00:00Z</updated></entry>"),
    {"format": "atom1.0", "entries.0.id": "urn:1"})
add("format-jsonfeed10.json", json.dumps({"version": "https://jsonfeed.org/version/1", "title": "J", "items": [
    {"id": "1", "title": "i", "content_html": "<p>x</p>", "date_published": "2020-03-09T08:00:00Z", "author": {"name": "Ann"}}]}),
    {"format": "jsonfeed1.0", "entries.0.authors": ["Ann"], "entries.0.content": "<p>x</p>"})
add("format-jsonfeed11.json", json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
    {"id": "1", "title": "i", "content_text": "a < b", "authors": [{"name": "Bo"}], "tags": ["t1", "t2"]}]}),
    {"format": "jsonfeed1.1", "entries.0.authors": ["Bo"], "entries.0.categories": ["t1", "t2"]})

# ---------------------------------------------------------------- fields
DC = ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
MEDIA = ' xmlns:media="http://search.yahoo.com/mrss/"'
ITUNES = ' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
ATOMNS = ' xmlns:atom="http://www.w3.org/2005/Atom"'
CONTENT = ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
FIELDS = [
    ("rss-content-encoded-beats-description", CONTENT, "<description>short</description><content:encoded><![CDATA[<p>long</p>]]></content:encoded>",
     {"entries.0.summary": "short", "entries.0.content": "<p>long</p>"}),
    ("rss-description-escaped-html", "", "<description>&lt;p&gt;esc&lt;/p&gt;</description>", {"entries.0.summary": "<p>esc</p>"}),
    ("rss-description-cdata-html", "", "<description><![CDATA[<p>cdata</p>]]></description>", {"entries.0.summary": "<p>cdata</p>"}),
    ("rss-description-plain-text", "", "<description>just text</description>", {"entries.0.summary": "just text"}),
    ("rss-guid-is-id", "", "<guid>https://s.example/1</guid>", {"entries.0.id": "https://s.example/1", "entries.0.link": "https://s.example/1"}),
    ("rss-guid-not-permalink", "", "<guid isPermaLink='false'>https://s.example/1</guid>", {"entries.0.id": "https://s.example/1", "entries.0.link": None}),
    ("rss-guid-not-a-url-is-no-link", "", "<guid>tag:s.example,2020:1</guid>", {"entries.0.id": "tag:s.example,2020:1", "entries.0.link": None}),
    ("rss-link-beats-guid", "", "<guid>https://s.example/g</guid><link>https://s.example/l</link>", {"entries.0.link": "https://s.example/l"}),
    ("rss-author-email-and-name", "", "<author>ann@s.example (Ann Smith)</author>", {"entries.0.authors": ["Ann Smith"]}),
    ("rss-author-email-only", "", "<author>ann@s.example</author>", {"entries.0.authors": ["ann@s.example"]}),
    ("rss-dc-creator-author", DC, "<dc:creator>Ann</dc:creator>", {"entries.0.authors": ["Ann"]}),
    ("rss-several-dc-creators", DC, "<dc:creator>Ann</dc:creator><dc:creator>Bob</dc:creator><dc:creator>Ann</dc:creator>",
     {"entries.0.authors": ["Ann", "Bob"]}),
    ("rss-categories", "", "<category>A</category><category domain='x'>B</category>", {"entries.0.categories": ["A", "B"]}),
    ("rss-dc-subject-category", DC, "<dc:subject>Sci</dc:subject>", {"entries.0.categories": ["Sci"]}),
    ("rss-dc-title-when-no-title", DC, "<dc:title>DC title</dc:title>", {"entries.0.title": "DC title"}),
    ("rss-title-beats-dc-title", DC, "<dc:title>DC</dc:title><title>Own</title>", {"entries.0.title": "Own"}),
    ("rss-dc-identifier-id", DC, "<dc:identifier>urn:x</dc:identifier>", {"entries.0.id": "urn:x"}),
    ("rss-dcterms-modified-updated", DC, "<dcterms:modified>2020-03-09T08:00:00Z</dcterms:modified>", {"entries.0.updated": "2020-03-09T08:00:00Z"}),
    ("rss-dcterms-created-published", DC, "<dcterms:created>2020-03-09T08:00:00Z</dcterms:created>", {"entries.0.published": "2020-03-09T08:00:00Z"}),
    ("rss-dcterms-issued-published", DC, "<dcterms:issued>2020-03-09T08:00:00Z</dcterms:issued>", {"entries.0.published": "2020-03-09T08:00:00Z"}),
    ("rss-dc-description-summary", DC, "<dc:description>dcd</dc:description>", {"entries.0.summary": "dcd"}),
    ("rss-enclosure", "", "<enclosure url='/a.mp3' length='123' type='audio/mpeg'/>",
     {"entries.0.enclosures": [{"url": "https://site.example/a.mp3", "type": "audio/mpeg", "length": 123}]}),
    ("rss-enclosure-bad-length", "", "<enclosure url='/a.mp3' length='big' type='audio/mpeg'/>", {"entries.0.enclosures.0.length": None}),
    ("rss-enclosure-without-url-dropped", "", "<enclosure length='1' type='audio/mpeg'/>", {"entries.0.enclosures": []}),
    ("rss-atom-link-alternate", ATOMNS, "<atom:link rel='alternate' href='https://s.example/atom'/>", {"entries.0.link": "https://s.example/atom"}),
    ("rss-atom-link-enclosure", ATOMNS, "<atom:link rel='enclosure' type='audio/ogg' length='7' href='https://s.example/a.ogg'/>",
     {"entries.0.enclosures.0.url": "https://s.example/a.ogg", "entries.0.enclosures.0.length": 7}),
    ("rss-atom-links-html-alternate-wins", ATOMNS, "<atom:link rel='alternate' type='application/json' href='https://s.example/j'/>"
     "<atom:link rel='alternate' type='text/html' href='https://s.example/h'/>", {"entries.0.link": "https://s.example/h"}),
    ("rss-media-content-enclosure", MEDIA, "<media:content url='https://s.example/v.mp4' type='video/mp4' fileSize='99'/>",
     {"entries.0.enclosures": [{"url": "https://s.example/v.mp4", "type": "video/mp4", "length": 99}]}),
    ("rss-media-group-contents", MEDIA, "<media:group><media:content url='https://s.example/a.mp4'/><media:content url='https://s.example/b.webm'/>"
     "</media:group>", {"entries.0.enclosures.0.url": "https://s.example/a.mp4", "entries.0.enclosures.1.url": "https://s.example/b.webm"}),
    ("rss-media-content-same-as-enclosure-once", MEDIA, "<enclosure url='https://s.example/a.mp3' type='audio/mpeg' length='5'/>"
     "<media:content url='https://s.example/a.mp3' type='audio/mpeg'/>", {"entries.0.enclosures.0.length": 5, "entries.0.enclosures.1": "absent"}),
    ("rss-media-title", MEDIA, "<media:title>MT</media:title>", {"entries.0.title": "MT"}),
    ("rss-media-description-plain", MEDIA, "<media:description>a &lt; b</media:description>", {"entries.0.summary": "a &lt; b"}),
    ("rss-media-description-html", MEDIA, "<media:description type='html'>&lt;i&gt;x&lt;/i&gt;</media:description>", {"entries.0.summary": "<i>x</i>"}),
    ("rss-media-group-description", MEDIA, "<media:group><media:description>in group</media:description></media:group>", {"entries.0.summary": "in group"}),
    ("rss-itunes-author", ITUNES, "<itunes:author>Pod Person</itunes:author>", {"entries.0.authors": ["Pod Person"]}),
    ("rss-itunes-summary", ITUNES, "<itunes:summary>Sum &amp; more</itunes:summary>", {"entries.0.summary": "Sum &amp; more"}),
    ("rss-description-beats-itunes-summary", ITUNES, "<itunes:summary>it</itunes:summary><description>desc</description>", {"entries.0.summary": "desc"}),
    ("rss-itunes-duration-ignored", ITUNES, "<itunes:duration>01:02:03</itunes:duration>", {"warnings": []}),
    ("rss-slash-comments-ignored", ' xmlns:slash="http://purl.org/rss/1.0/modules/slash/"', "<slash:comments>5</slash:comments>", {"warnings": []}),
    ("rss-feedburner-origlink", ' xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"',
     "<link>https://feeds.fb.example/~r/x</link><feedburner:origLink>https://s.example/real</feedburner:origLink>", {"entries.0.link": "https://s.example/real"}),
    ("rss-relative-link-against-channel-link", "", "<link>/news/1.html</link>", {"entries.0.link": "https://site.example/news/1.html"}),
    ("rss-xml-base-on-item", "", "<link>1.html</link>", {"entries.0.link": "https://site.example/1.html"}),
    ("rss-title-with-markup-is-plain", "", "<title>&lt;b&gt;Bold&lt;/b&gt; title</title>", {"entries.0.title": "Bold title"}),
    ("rss-title-entities-decoded", "", "<title>AT&amp;amp;T &amp;lt;3</title>", {"entries.0.title": "AT&T <3"}),
    ("rss-title-whitespace-collapsed", "", "<title>  a \n\t b  </title>", {"entries.0.title": "a b"}),
    ("rss-title-bare-less-than", "", "<title>if a&lt;b then</title>", {"entries.0.title": "if a\u2039b then"}),
    ("rss-empty-title-is-null", "", "<title>   </title><guid>urn:x</guid>", {"entries.0.title": None}),
    ("rss-item-without-anything", "", "", {"entries.0.id": None, "entries.0.title": None}),
]
for name, ns, inner, facts in FIELDS:
    add(f"field-{name}.xml", rss(item(inner), ns=ns), facts)
add("field-rss-xml-base-nested.xml", rss(item("<link>1.html</link>").replace("<item>", "<item xml:base='/posts/'>"),
    channel="<title>t</title>").replace("<channel>", "<channel xml:base='https://base.example/blog/'>"),
    {"entries.0.link": "https://base.example/posts/1.html"})
CHANNEL_FIELDS = [
    ("channel-title-link-description", "<title>T</title><link>https://c.example/</link><description>&lt;b&gt;D&lt;/b&gt;</description>",
     {"feed.title": "T", "feed.link": "https://c.example/", "feed.description": "D"}),
    ("channel-language", "<title>t</title><language>en-GB</language>", {"feed.language": "en-GB"}),
    ("channel-dc-language", "<title>t</title><dc:language>fr</dc:language>", {"feed.language": "fr"}),
    ("channel-image", "<title>t</title><link>https://c.example/</link><image><url>/logo.png</url><title>t</title><link>https://c.example/</link></image>",
     {"feed.image": "https://c.example/logo.png"}),
    ("channel-itunes-image", "<title>t</title><itunes:image href='https://c.example/art.jpg'/>", {"feed.image": "https://c.example/art.jpg"}),
    ("channel-image-beats-itunes-image", "<title>t</title><itunes:image href='https://c.example/art.jpg'/><image><url>https://c.example/l.png</url></image>",
     {"feed.image": "https://c.example/l.png"}),
    ("channel-media-thumbnail-image", "<title>t</title><media:thumbnail url='https://c.example/th.jpg'/>", {"feed.image": "https://c.example/th.jpg"}),
    ("channel-ttl", "<title>t</title><ttl>90</ttl>", {"feed.ttl_minutes": 90}),
    ("channel-ttl-garbage-ignored", "<title>t</title><ttl>soon</ttl>", {"feed.ttl_minutes": None}),
    ("channel-itunes-summary-description", "<title>t</title><itunes:summary>Pod desc</itunes:summary>", {"feed.description": "Pod desc"}),
    ("channel-atom-link-when-no-link", "<title>t</title><atom:link rel='alternate' href='https://c.example/a'/>", {"feed.link": "https://c.example/a"}),
    ("channel-atom-self-link-is-not-the-link", "<title>t</title><atom:link rel='self' href='https://c.example/feed'/>", {"feed.link": None}),
    ("channel-dc-date-updated", "<title>t</title><dc:date>2020-03-09T08:00:00Z</dc:date>", {"feed.updated": "2020-03-09T08:00:00Z"}),
    ("channel-sy-update-period", "<title>t</title><sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>", {"feed.title": "t"}),
    ("channel-skip-hours-and-days", "<title>t</title><skipHours><hour>1</hour></skipHours><skipDays><day>Sunday</day></skipDays>", {"feed.title": "t"}),
]
ALLNS = DC + MEDIA + ITUNES + ATOMNS + ' xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'
for name, channel, facts in CHANNEL_FIELDS:
    add(f"field-{name}.xml", rss(channel=channel, ns=ALLNS), facts)

ATOM_FIELDS = [
    ("text-construct-text", "<content type='text'>a &lt;b&gt; &amp; c</content>", {"entries.0.content": "a &lt;b&gt; &amp; c"}),
    ("text-construct-html", "<content type='html'>&lt;p&gt;hi&lt;/p&gt;</content>", {"entries.0.content": "<p>hi</p>"}),
    ("text-construct-xhtml", "<content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'><p>x<b>y</b></p></div></content>", {"entries.0.content": "<p>x<b>y</b></p>"}),
    ("text-construct-default-is-text", "<summary>1 &lt; 2</summary>", {"entries.0.summary": "1 &lt; 2"}),
    ("title-html-is-plain", "<title type='html'>&lt;em&gt;Em&lt;/em&gt; title</title>", {"entries.0.title": "Em title"}),
    ("title-xhtml-is-plain", "<title type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>X <b>T</b></div></title>", {"entries.0.title": "X T"}),
    ("content-src-is-link", "<content type='video/mp4' src='https://a.example/v.mp4'/>", {"entries.0.link": "https://a.example/v.mp4", "entries.0.content": None}),
    ("alternate-beats-content-src", "<link href='https://a.example/page'/><content src='https://a.example/v.mp4'/>", {"entries.0.link": "https://a.example/page"}),
    ("link-without-rel-is-alternate", "<link href='https://a.example/p'/>", {"entries.0.link": "https://a.example/p"}),
    ("alternate-links-html-wins", "<link rel='alternate' type='application/pdf' href='https://a.example/p.pdf'/><link rel='alternate' type='text/html' href='https://a.example/p.html'/>",
     {"entries.0.link": "https://a.example/p.html"}),
    ("related-link-ignored", "<link rel='related' href='https://a.example/r'/>", {"entries.0.link": None}),
    ("enclosure-link", "<link rel='enclosure' type='audio/mpeg' length='10' href='https://a.example/a.mp3'/>", {"entries.0.enclosures.0.length": 10}),
    ("author-name", "<author><name>Ann</name><email>a@x</email></author>", {"entries.0.authors": ["Ann"]}),
    ("author-email-only", "<author><email>a@x</email></author>", {"entries.0.authors": ["a@x"]}),
    ("several-authors", "<author><name>A</name></author><author><name>B</name></author>", {"entries.0.authors": ["A", "B"]}),
    ("category-label-beats-term", "<category term='t' label='Label'/>", {"entries.0.categories": ["Label"]}),
    ("category-term", "<category term='term'/>", {"entries.0.categories": ["term"]}),
    ("published-and-updated", "<published>2020-03-09T07:00:00Z</published><updated>2020-03-09T08:00:00Z</updated>",
     {"entries.0.published": "2020-03-09T07:00:00Z", "entries.0.updated": "2020-03-09T08:00:00Z"}),
    ("summary-and-content", "<summary>s</summary><content type='html'>&lt;p&gt;c&lt;/p&gt;</content>", {"entries.0.summary": "s", "entries.0.content": "<p>c</p>"}),
    ("xml-base-on-entry", "<link href='p.html'/>", {"entries.0.link": "https://a.example/p.html"}),
    ("media-content-in-atom", "<media:content url='https://a.example/i.jpg' type='image/jpeg'/>", {"entries.0.enclosures.0.type": "image/jpeg"}),
    ("dc-subject-in-atom", "<dc:subject>Sub</dc:subject>", {"entries.0.categories": ["Sub"]}),
]
for name, inner, facts in ATOM_FIELDS:
    entry = f"<entry><id>urn:e</id>{inner if '<title' in inner else '<title>t</title>' + inner}</entry>"
    if name == "xml-base-on-entry":
        entry = entry.replace("<entry>", "<entry xml:base='https://a.example/'>")
    add(f"field-atom-{name}.atom", atom(entry, ns=MEDIA + ' xmlns:dc="http://purl.org/dc/elements/1.1/"'), facts)
add("field-atom-feed-fields.atom", atom("", head="<title type='html'>A &amp;amp; B</title><subtitle>Sub</subtitle>"
    "<link rel='self' href='https://a.example/feed'/><link href='https://a.example/'/><logo>/logo.png</logo><icon>/i.ico</icon>"
    "<updated>2020-03-09T08:00:00Z</updated>").replace("<feed ", "<feed xml:lang='de' "),
    {"feed.title": "A & B", "feed.description": "Sub", "feed.link": "https://a.example/", "feed.image": "https://a.example/logo.png",
     "feed.language": "de", "feed.updated": "2020-03-09T08:00:00Z"})

# ---------------------------------------------------------------- sanitising
SANITISE = [
    ("script-removed", "<p>a</p><script>alert(1)</script>", "<p>a</p>"),
    ("style-element-removed", "<style>p{}</style><p>b</p>", "<p>b</p>"),
    ("iframe-removed", "<iframe src='https://evil.example/'></iframe><p>c</p>", "<p>c</p>"),
    ("object-embed-removed", "<object data='x.swf'><embed src='x.swf'></object><p>d</p>", "<p>d</p>"),
    ("form-removed", "<form action='/x'><input name='q'></form><p>e</p>", "<p>e</p>"),
    ("event-handler-removed", "<p onclick='alert(1)'>f</p>", "<p>f</p>"),
    ("javascript-url-removed", "<a href='javascript:alert(1)'>g</a>", "<a>g</a>"),
    ("data-url-link-removed", "<a href='data:text/html,x'>h</a>", "<a>h</a>"),
    ("relative-url-made-absolute", "<a href='/about'>i</a>", '<a href="https://site.example/about">i</a>'),
    ("relative-img-made-absolute", "<img src='pic.jpg' alt='p'>", '<img src="https://site.example/pic.jpg" alt="p">'),
    ("mailto-kept", "<a href='mailto:a@b.example'>m</a>", '<a href="mailto:a@b.example">m</a>'),
    ("meta-and-link-removed", "<meta http-equiv='refresh' content='0'><link rel='stylesheet' href='x'><p>j</p>", "<p>j</p>"),
    ("svg-removed", "<svg><script>alert(1)</script></svg><p>k</p>", "<p>k</p>"),
    ("base-removed", "<base href='https://evil.example/'><a href='/x'>l</a>", '<a href="https://site.example/x">l</a>'),
    ("unknown-element-unwrapped", "<blink>n</blink>", "n"),
    ("wbr-keeps-the-text-after-it", "<p>super<wbr>cali<wbr>fragilistic</p>", "<p>super<wbr>cali<wbr>fragilistic</p>"),
    ("source-keeps-the-text-after-it", "<video><source src='/v.mp4'>fallback</video><p>o</p>",
     '<video><source src="https://site.example/v.mp4">fallback</video><p>o</p>'),
]
for name, html, expected in SANITISE:
    add(f"sanitise-{name}.xml", rss(item(f"<title>t</title><description>{esc(html)}</description>")), {"entries.0.summary": expected})

# ---------------------------------------------------------------- multi-entry order, warnings labels
add("order-entries-keep-document-order.xml", rss("".join(item(f"<title>n{i}</title>") for i in range(5))),
    {"entries.0.title": "n0", "entries.4.title": "n4"})
add("order-warning-names-the-entry.xml", rss(item("<title>a</title>") + item("<title>b</title><pubDate>bad</pubDate>")),
    {"warnings": ["entry 2: unparseable date 'bad'"]})


def write():
    os.makedirs(SUITE, exist_ok=True)
    for name, data in DOCS.items():
        with open(os.path.join(SUITE, name), "wb") as f:
            f.write(data)
    for stem, ct in CONTENT_TYPES.items():
        with open(os.path.join(SUITE, stem + ".content-type"), "w") as f:
            f.write(ct + "\n")
    print(f"{len(DOCS)} documents in {SUITE}")


def lookup(doc, path):
    value = doc
    for part in path.split("."):
        if isinstance(value, list):
            index = int(part)
            if index >= len(value):
                return "absent"
            value = value[index]
        elif isinstance(value, dict):
            if part not in value:
                return "absent"
            value = value[part]
        else:
            return "absent"
    return value


def check():
    failures = 0
    for stem, facts in FACTS.items():
        json_path = os.path.join(SUITE, stem + ".expected.json")
        error_path = os.path.join(SUITE, stem + ".expected.error")
        if "error" in facts:
            if not os.path.exists(error_path):
                print(f"{stem}: expected an error file"); failures += 1; continue
            text = open(error_path, encoding="utf-8").read()
            if facts["error"] not in text:
                print(f"{stem}: error {text.strip()!r} lacks {facts['error']!r}"); failures += 1
            continue
        if not os.path.exists(json_path):
            print(f"{stem}: no expected JSON"); failures += 1; continue
        doc = json.load(open(json_path, encoding="utf-8"))
        for path, want in facts.items():
            got = lookup(doc, path)
            if got != want:
                print(f"{stem}: {path} is {got!r}, the fact says {want!r}"); failures += 1
    print(f"{len(FACTS)} documents checked, {failures} fact(s) wrong")
    return failures == 0


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if check() else 1)
    write()
