"""A careful HTTP GET for sources: conditional, bounded, and refusing internal addresses.

Every hop (the first request and each redirect) resolves the host once, checks
every address it resolves to, and then connects to that checked address, so a
DNS answer cannot change between the check and the connection. Through an
outgoing proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, as curl and urllib read
them) the feed's address is still checked, but the proxy connects by name.

It is also a polite client: at most PER_HOST requests at once to one host
(in this process); a 429 or 503 raises `RateLimited` with the Retry-After the
site asked for (RFC 9110 §10.2.3: seconds or an HTTP date); an anti-bot
challenge page (403/503 "Just a moment…", a `cf-mitigated` header) raises
`AntiBotChallenge`; results tell the redirects followed (a chain of 301/308 is
a permanent move, RFC 9110 §15.4) and the Cache-Control max-age.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, unquote, urljoin, urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

from sources.hosts import is_valid_host

USER_AGENT = "coopnews/0.1 (+https://github.com/coopnews; feed reader for a Slack app)"
MAX_BYTES = 10 * 1024 * 1024
TIMEOUT = 20.0
MAX_REDIRECTS = 5
# Requests at once to one host, across this process's polls.
PER_HOST = 2
PERMANENT_REDIRECTS = (301, 308)
# A challenge page is small; this much of a 403/503 body is read to recognise one.
_CHALLENGE_PEEK = 64 * 1024
_CHALLENGE_MARKERS = (b"just a moment", b"cf-chl", b"challenge-platform", b"attention required")
_CHUNK = 64 * 1024
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, text/plain;q=0.7, */*;q=0.5"
)


class FetchError(Exception):
    """The URL could not be fetched; the message is for people."""


class RefusedAddress(FetchError):
    """The URL points at an address we do not fetch from (SSRF protection)."""


class TooLarge(FetchError):
    pass


class RateLimited(FetchError):
    """429, or 503 with Retry-After: `retry_after` is how long the site asked us to wait."""

    def __init__(self, message: str, retry_after: timedelta | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AntiBotChallenge(FetchError):
    """A 403/503 challenge page (Cloudflare and the like) instead of the feed."""


def retry_after(value: str | None, now: datetime | None = None) -> timedelta | None:
    """A Retry-After header (delay-seconds or an HTTP date) as a delay; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - (now or datetime.now(UTC)))


_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class FetchOptions:
    allow_private: bool = False
    timeout: float = TIMEOUT
    max_bytes: int = MAX_BYTES


@dataclass
class FetchResult:
    url: str  # after redirects
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # (status, target URL) of every redirect followed, in order.
    redirects: list[tuple[int, str]] = field(default_factory=list)

    @property
    def permanent_url(self) -> str | None:
        """Where the feed moved for good: the final URL when every hop was a 301/308."""
        if self.redirects and all(s in PERMANENT_REDIRECTS for s, _ in self.redirects):
            return self.url
        return None

    @property
    def max_age(self) -> timedelta | None:
        """Cache-Control max-age (RFC 9111 §5.2.2.1): how long the answer stays fresh."""
        match = _MAX_AGE.search(self.headers.get("cache-control", ""))
        return timedelta(seconds=int(match.group(1))) if match else None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; FetchError for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid URL: {url!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be followed, not {url!r}")
    if not parts.hostname:
        raise FetchError(f"the URL has no host name: {url!r}")
    if not is_valid_host(parts.hostname):
        raise FetchError(f"the URL's host is not a real host name: {url!r}")
    if parts.username or parts.password:
        raise FetchError("URLs with a user name or password are not supported")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, options: FetchOptions) -> str:
    """The address to connect to: every resolved address must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchError(f"cannot resolve {host}")
    if not options.allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise RefusedAddress(
                    f"{host} resolves to {address}, a loopback, private or link-local "
                    "address: refused (set COOPNEWS_ALLOW_PRIVATE_SOURCES=1 for intranet feeds)"
                )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a given (already checked) address, whatever the Host header says."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(
    url: str,
    options: FetchOptions | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """GET url, following redirects; a 304 comes back as a result, other non-2xx raise."""
    options = options or FetchOptions()
    deadline = time.monotonic() + options.timeout
    current = url.strip()
    redirects: list[tuple[int, str]] = []
    for _ in range(MAX_REDIRECTS + 1):
        with _host_slot(current, deadline):
            result = _get_once(current, options, deadline, etag, last_modified)
        if result.status in (301, 302, 303, 307, 308):
            location = result.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {result.status} without a Location from {current}")
            current = urljoin(current, location)
            redirects.append((result.status, current))
            continue
        result.redirects = redirects
        if result.status == 304 or 200 <= result.status < 300:
            return result
        _raise_for_status(result, current)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")


def _raise_for_status(result: FetchResult, url: str) -> None:
    status = result.status
    if status in (403, 429, 503) and _is_challenge(result):
        raise AntiBotChallenge("the site answered with an anti-bot challenge")
    if status == 429 or (status == 503 and "retry-after" in result.headers):
        wait = retry_after(result.headers.get("retry-after"))
        asked = f", asking to wait {int(wait.total_seconds())} s" if wait is not None else ""
        raise RateLimited(f"HTTP {status} from {url}{asked}", wait)
    raise FetchError(f"HTTP {status} from {url}")


def _is_challenge(result: FetchResult) -> bool:
    if "cf-mitigated" in result.headers:
        return True
    return any(marker in result.body.lower() for marker in _CHALLENGE_MARKERS)


_host_slots: dict[str, threading.BoundedSemaphore] = {}
_host_slots_lock = threading.Lock()


@contextmanager
def _host_slot(url: str, deadline: float) -> Iterator[None]:
    """Hold one of the PER_HOST slots of the URL's host (waiting until the fetch's deadline)."""
    host = (urlsplit(url).hostname or "").lower()
    with _host_slots_lock:
        slot = _host_slots.setdefault(host, threading.BoundedSemaphore(PER_HOST))
    if not slot.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise FetchError(f"{host} is busy with our other requests; will try again")
    try:
        yield
    finally:
        slot.release()


def proxy_for(scheme: str, host: str) -> str | None:
    """The outgoing proxy for a URL, from HTTPS_PROXY/HTTP_PROXY/NO_PROXY (any case)."""
    proxies = getproxies_environment()
    proxy = proxies.get(scheme)
    if not proxy or proxy_bypass_environment(host, proxies):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _get_once(
    url: str,
    options: FetchOptions,
    deadline: float,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    scheme, host, port = check_url(url)
    # The SSRF rule holds with or without a proxy: the feed's own address is checked.
    address = resolve(host, port, options)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    remaining = max(0.1, deadline - time.monotonic())
    proxy = proxy_for(scheme, host)
    proxy_headers: dict[str, str] = {}
    if proxy:
        connection, target, proxy_headers = _proxied(proxy, parts, port, target, remaining)
    else:
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, address, timeout=remaining)
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": ACCEPT,
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    headers.update(proxy_headers)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
        if response.status in (403, 429, 503):  # enough of it to recognise a challenge page
            peek = _peek(response.read(_CHALLENGE_PEEK), response_headers)
            return FetchResult(url=url, status=response.status, body=peek, headers=response_headers)
        if response.status in (301, 302, 303, 304, 307, 308) or response.status >= 400:
            return FetchResult(url=url, status=response.status, headers=response_headers)
        body = _read_body(response, response_headers, options.max_bytes, deadline)
    except TimeoutError as exc:
        raise FetchError(f"{host} did not answer within {options.timeout:.0f} s") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from exc
    finally:
        connection.close()
    return FetchResult(url=url, status=response.status, body=body, headers=response_headers)


def _peek(raw: bytes, headers: dict[str, str]) -> bytes:
    """The start of an error body, decompressed if it came compressed (best effort)."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return raw
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    try:
        return zlib.decompressobj(wbits).decompress(raw, _CHALLENGE_PEEK)
    except zlib.error:
        return b""


def _proxied(
    proxy: str, url: SplitResult, port: int, target: str, timeout: float
) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
    """A connection through the proxy, the request target, and headers for the proxy.

    http: an absolute-form request to the proxy (RFC 9112 §3.2.2); https: a
    CONNECT tunnel (RFC 9110 §9.3.6), TLS checked against the feed's host name.
    """
    host = url.hostname
    parts = urlsplit(proxy)
    if not parts.hostname:
        raise FetchError(f"the proxy setting {proxy!r} has no host name")
    proxy_port = parts.port or (443 if parts.scheme == "https" else 80)
    auth = {}
    if parts.username:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth["Proxy-Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    if url.scheme.lower() == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, proxy_port, timeout=timeout, context=ssl.create_default_context()
        )
        connection.set_tunnel(host, port, headers=auth)
        return connection, target, {}
    connection = http.client.HTTPConnection(parts.hostname, proxy_port, timeout=timeout)
    absolute = f"http://{url.netloc}{target}"
    return connection, absolute, auth


def _read_body(response, headers: dict[str, str], max_bytes: int, deadline: float) -> bytes:
    """Stream the body, stopping at max_bytes (after decompression, so no gzip bomb)."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"the response is {int(declared)} bytes, more than the {max_bytes} allowed")
    encoding = headers.get("content-encoding", "").strip().lower()
    decoder = None
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError("the response took too long to arrive")
        raw = response.read(_CHUNK)
        if not raw:
            break
        data = raw
        if decoder is not None:
            try:
                data = decoder.decompress(raw, max_bytes + 1 - size)
            except zlib.error as exc:
                raise FetchError(f"the response is not valid {encoding}: {exc}") from exc
        size += len(data)
        if size > max_bytes:
            raise TooLarge(f"the response is larger than the {max_bytes} bytes allowed")
        chunks.append(data)
    return b"".join(chunks)
