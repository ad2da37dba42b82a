"""A careful HTTP GET for sources: conditional, bounded, and refusing internal addresses.

Every hop (the first request and each redirect) resolves the host once, checks
every address it resolves to, and then connects to that checked address, so a
DNS answer cannot change between the check and the connection.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from sources.hosts import is_valid_host

USER_AGENT = "coopnews/0.1 (+https://github.com/coopnews; feed reader for a Slack app)"
MAX_BYTES = 10 * 1024 * 1024
TIMEOUT = 20.0
MAX_REDIRECTS = 5
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
    for _ in range(MAX_REDIRECTS + 1):
        result = _get_once(current, options, deadline, etag, last_modified)
        if result.status in (301, 302, 303, 307, 308):
            location = result.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {result.status} without a Location from {current}")
            current = urljoin(current, location)
            continue
        if result.status == 304 or 200 <= result.status < 300:
            return result
        raise FetchError(f"HTTP {result.status} from {current}")
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")


def _get_once(
    url: str,
    options: FetchOptions,
    deadline: float,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    scheme, host, port = check_url(url)
    address = resolve(host, port, options)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    remaining = max(0.1, deadline - time.monotonic())
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
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
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
