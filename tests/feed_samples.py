"""Hand-written feed samples, each with the quirk a test is about."""

from __future__ import annotations

from xml.sax.saxutils import escape


def rss2(items: list[dict], title: str = "Coop Voices", link: str = "https://coop.example/") -> str:
    """items: dicts of title, link, guid, date, description (raw XML allowed), extra."""
    parts = []
    for item in items:
        fields = []
        if "title" in item:
            fields.append(f"<title>{item['title']}</title>")
        if "link" in item:
            fields.append(f"<link>{item['link']}</link>")
        if "guid" in item:
            permalink = "true" if item["guid"].startswith("http") else "false"
            fields.append(f'<guid isPermaLink="{permalink}">{item["guid"]}</guid>')
        if "date" in item:
            fields.append(f"<pubDate>{item['date']}</pubDate>")
        if "description" in item:
            fields.append(f"<description>{item['description']}</description>")
        fields.append(item.get("extra", ""))
        parts.append("<item>" + "".join(fields) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{link}</link>"
        "<description>News</description>" + "".join(parts) + "</channel></rss>"
    )


def simple_rss(count: int, start: int = 0, scheme: str = "https", day: int = 1) -> str:
    return rss2(
        [
            {
                "title": f"Story {i}",
                "link": f"{scheme}://coop.example/news/{i}",
                "guid": f"{scheme}://coop.example/news/{i}",
                "date": f"Mon, {day:02d} Jun 2026 {i % 24:02d}:00:00 GMT",
                "description": f"Text of story {i}",
            }
            for i in range(start, start + count)
        ]
    )


RSS1 = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/">
    <title>RDF Co-op News</title>
    <link>https://rdf.example/</link>
    <description>RSS 1.0</description>
    <items><rdf:Seq>
      <rdf:li rdf:resource="https://rdf.example/a"/>
      <rdf:li rdf:resource="https://rdf.example/b"/>
    </rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example/a">
    <title>Worker co-ops grow</title>
    <link>https://rdf.example/a</link>
    <description>First RDF item</description>
    <dc:date>2026-05-04T10:00:00+02:00</dc:date>
    <dc:subject>Research</dc:subject>
  </item>
  <item rdf:about="https://rdf.example/b">
    <title>Housing co-ops</title>
    <link>https://rdf.example/b</link>
    <description>Second RDF item</description>
    <dc:date>2026-05-05T10:00:00Z</dc:date>
  </item>
</rdf:RDF>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/blog/">
  <title>Atom Co-op Blog</title>
  <link href="https://atom.example/blog/"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-05-06T18:30:02Z</updated>
  <entry>
    <title type="html">Credit unions &amp;amp; &lt;b&gt;banks&lt;/b&gt;</title>
    <link href="posts/credit-unions"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2026-05-06T18:30:02Z</updated>
    <summary type="html">&lt;p&gt;Member-owned&lt;br/&gt;finance&amp;nbsp;grows.&lt;/p&gt;</summary>
    <category term="Finance"/>
  </entry>
  <entry xml:base="https://other.example/x/">
    <title>Relative with its own base</title>
    <link href="../y/z.html"/>
    <id>tag:atom.example,2026:2</id>
    <published>2026-05-01T08:00:00Z</published>
    <updated>2026-05-07T08:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>XHTML <em>content</em></p></div></content>
  </entry>
</feed>
"""

CDATA_AND_ENTITIES = rss2(
    [
        {
            "title": "<![CDATA[Co-ops & <i>friends</i> meet]]>",
            "link": "https://coop.example/cdata",
            "guid": "cdata-1",
            "date": "Tue, 02 Jun 2026 10:00:00 +0000",
            "description": "<![CDATA[<p>Hello <b>world</b> &amp; co&#8209;ops&nbsp;&mdash; "
            "<script>alert(1)</script>all\n\n   welcome</p>]]>",
        },
        {
            "title": "Caf&#233; &amp; bar &lt;3",
            "link": "https://coop.example/entities",
            "guid": "entities-1",
            "date": "Tue, 02 Jun 2026 11:00:00 +0000",
            "description": "R&amp;D &amp;amp; more &lt;b&gt;bold&lt;/b&gt;",
        },
    ]
)

ODD_DATES = rss2(
    [
        {"title": "ISO date", "guid": "d1", "date": "2026-06-03T09:15:00Z"},
        {"title": "No weekday", "guid": "d2", "date": "03 Jun 2026 09:15:00 +0200"},
        {"title": "Garbage date", "guid": "d3", "date": "sometime last week"},
        {"title": "No date", "guid": "d4"},
        {
            "title": "Only updated",
            "guid": "d5",
            "extra": '<a10:updated xmlns:a10="http://www.w3.org/2005/Atom">'
            "2026-06-01T12:00:00Z</a10:updated>",
        },
    ]
)


def latin1_feed(encoding: str = "iso-8859-1") -> bytes:
    text = rss2(
        [
            {
                "title": "Coopératives agricoles à Genève",
                "link": "https://coop.example/fr",
                "guid": "fr-1",
                "date": "Wed, 03 Jun 2026 10:00:00 GMT",
                "description": "Économie sociale et solidaire",
            },
            {
                "title": "Smart “quotes” – and € signs",
                "link": "https://coop.example/cp",
                "guid": "cp-1",
                "date": "Wed, 03 Jun 2026 11:00:00 GMT",
            },
        ]
    ).replace('encoding="utf-8"', f'encoding="{encoding}"')
    if encoding == "iso-8859-1":
        text = text.replace("“", '"').replace("”", '"').replace("–", "-").replace("€", "EUR")
    return text.encode(encoding)


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + "\n".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + '\n]>\n<rss version="2.0"><channel><title>&lol9;</title>'
    "<item><title>&lol9;</title><guid>x</guid></item></channel></rss>"
)

PAGE_WITH_FEED = """<!DOCTYPE html>
<html><head><title>Co-op Federation</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="News" href="/feeds/news.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/feeds/comments.atom">
</head><body><h1>Welcome</h1></body></html>
"""

PAGE_WITHOUT_FEED = "<!doctype html><html><head><title>x</title></head><body>hi</body></html>"
