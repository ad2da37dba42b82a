"""The careful GET, against a local HTTP server: headers, 304, redirects, SSRF, size, time."""

from __future__ import annotations

import gzip

import pytest

from sources import fetch as fetch_module
from sources.documents import UnreadableSource, load_url
from sources.fetch import FetchError, FetchOptions, RefusedAddress, TooLarge, fetch
from tests import feed_samples as samples
from tests.feed_server import FeedServer, Served

ALLOW = FetchOptions(allow_private=True, timeout=5)


@pytest.fixture
def server():
    server = FeedServer().start()
    yield server
    server.stop()


def test_user_agent_and_conditional_get_304(server):
    def conditional(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Served(304, b"", {"ETag": '"v1"'})
        headers = {"Content-Type": "application/rss+xml", "ETag": '"v1"'}
        headers["Last-Modified"] = "Mon, 01 Jun 2026 00:00:00 GMT"
        return Served(200, samples.simple_rss(2).encode(), headers)

    server.routes["/feed"] = conditional
    first = fetch(server.url("/feed"), ALLOW)
    assert first.status == 200 and first.etag == '"v1"'
    assert first.last_modified == "Mon, 01 Jun 2026 00:00:00 GMT"
    second = fetch(server.url("/feed"), ALLOW, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = server.requests_to("/feed")
    assert "coopnews" in sent[0].headers["user-agent"]
    assert "if-none-match" not in sent[0].headers
    assert sent[1].headers["if-none-match"] == '"v1"'
    assert sent[1].headers["if-modified-since"] == "Mon, 01 Jun 2026 00:00:00 GMT"


def test_loopback_is_refused_without_the_setting(server):
    server.serve("/feed", samples.simple_rss(1))
    for url in (
        server.url("/feed"),
        "http://localhost:9/feed",
        "http://[::1]:9/",
        "http://10.1.2.3/",
    ):
        with pytest.raises(RefusedAddress, match="COOPNEWS_ALLOW_PRIVATE_SOURCES"):
            fetch(url, FetchOptions())
    assert server.requests == []  # refused before connecting


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_internal_addresses_are_not_public(address):
    assert not fetch_module.is_public_address(address)


def test_public_addresses_are_public():
    assert fetch_module.is_public_address("93.184.216.34")
    assert fetch_module.is_public_address("2606:2800:220:1:248:1893:25c8:1946")


def test_redirect_to_an_internal_address_is_refused(server, monkeypatch):
    # Pretend 127.0.0.1 is public, so only the redirect target (127.0.0.2) is internal.
    monkeypatch.setattr(fetch_module, "is_public_address", lambda address: address == "127.0.0.1")
    port = server.base_url.rsplit(":", 1)[1]
    server.routes["/start"] = lambda r: Served(
        302, b"", {"Location": f"http://127.0.0.2:{port}/secret"}
    )
    with pytest.raises(RefusedAddress, match="127.0.0.2"):
        fetch(server.url("/start"), FetchOptions(timeout=5))
    assert [r.path for r in server.requests] == ["/start"]


def test_redirects_are_followed_and_limited(server):
    server.serve("/feed", samples.simple_rss(1))
    server.routes["/old"] = lambda r: Served(301, b"", {"Location": "/feed"})
    result = fetch(server.url("/old"), ALLOW)
    assert result.status == 200 and result.url == server.url("/feed")
    server.routes["/loop"] = lambda r: Served(302, b"", {"Location": "/loop"})
    with pytest.raises(FetchError, match="redirects"):
        fetch(server.url("/loop"), ALLOW)


def test_only_http_and_https(server):
    for url in ("file:///etc/passwd", "ftp://coop.example/feed", "gopher://x/", "not a url"):
        with pytest.raises(FetchError):
            fetch(url, ALLOW)


def test_http_errors_are_fetch_errors(server):
    server.routes["/gone"] = lambda r: Served(404, b"nope")
    server.routes["/broken"] = lambda r: Served(500, b"oops")
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(server.url("/gone"), ALLOW)
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch(server.url("/broken"), ALLOW)


def test_oversized_bodies_are_refused_while_streaming(server):
    chunk = b"<!-- " + b"x" * (1024 * 1024 - 9) + b" -->"
    # No Content-Length: the cap must hold while reading.
    server.routes["/huge"] = lambda r: Served(body=iter([chunk] * 12), streamed=True)
    with pytest.raises(TooLarge):
        fetch(server.url("/huge"), ALLOW)
    # A declared length over the cap is refused before reading.
    server.routes["/declared"] = lambda r: Served(
        body=b"x", headers={"Content-Length": str(50 * 1024 * 1024)}, streamed=True
    )
    with pytest.raises(TooLarge):
        fetch(server.url("/declared"), ALLOW)


def test_gzip_bomb_is_capped_after_decompression(server):
    bomb = gzip.compress(b"\0" * (11 * 1024 * 1024))
    assert len(bomb) < 200_000
    server.routes["/bomb"] = lambda r: Served(body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(TooLarge):
        fetch(server.url("/bomb"), ALLOW)
    server.routes["/gz"] = lambda r: Served(
        body=gzip.compress(b"<rss/>"), headers={"Content-Encoding": "gzip"}
    )
    assert fetch(server.url("/gz"), ALLOW).body == b"<rss/>"


def test_timeout(server):
    server.routes["/slow"] = lambda r: Served(body=b"<rss/>", delay=3)
    with pytest.raises(FetchError, match="did not answer"):
        fetch(server.url("/slow"), FetchOptions(allow_private=True, timeout=0.5))


def test_page_is_followed_to_its_feed(server):
    server.serve("/about/", samples.PAGE_WITH_FEED, "text/html; charset=utf-8")
    server.serve("/feeds/news.xml", samples.simple_rss(2))
    loaded = load_url(server.url("/about/"), ALLOW)
    assert loaded.url == server.url("/feeds/news.xml")
    assert [d.title for d in loaded.document.drafts] == ["Story 0", "Story 1"]


def test_page_without_feed_says_so(server):
    server.serve("/plain", samples.PAGE_WITHOUT_FEED, "text/html")
    with pytest.raises(UnreadableSource, match="does not link to an RSS or Atom feed"):
        load_url(server.url("/plain"), ALLOW)


def test_ilo_listing_served_as_text_is_read(server):
    listing = "News\n\n  1. News\n\n    Co-ops in Seoul\n\n    10 July 2017\n\n    Summary.\n"
    server.serve("/listing.txt", listing, "text/plain; charset=utf-8")
    loaded = load_url(server.url("/listing.txt"), ALLOW)
    assert loaded.document.kind == "ilo"
    assert [d.title for d in loaded.document.drafts] == ["Co-ops in Seoul"]


def test_charset_from_the_http_header_is_honoured(server):
    # No encoding in the XML declaration: only the header says ISO-8859-7 (Greek).
    title = "Συνεταιρισμοί στην Αθήνα"
    xml = samples.rss2([{"title": title, "guid": "1"}])
    body = xml.replace('<?xml version="1.0" encoding="utf-8"?>', "").encode("iso-8859-7")
    server.serve("/feed", body, "application/rss+xml; charset=iso-8859-7")
    loaded = load_url(server.url("/feed"), ALLOW)
    assert loaded.document.drafts[0].title == title
