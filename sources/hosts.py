"""Whether a URL's host is a real host name or IP address (RFC 1123, RFC 3986)."""

from __future__ import annotations

import ipaddress
import re

# RFC 1123 labels; underscores are not allowed by it but appear in real names (DNS allows them).
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def is_valid_host(host: str | None) -> bool:
    """True for `example.org`, `bücher.example` (IDNA), `127.0.0.1`, `[::1]`'s `::1`;
    False for `<!channel>`, `a..b`, `-a.org`, empty, or over 253 characters."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    ascii_host = ascii_host.removesuffix(".")  # a fully qualified name's root dot
    if not ascii_host or len(ascii_host) > 253:
        return False
    return all(_LABEL.fullmatch(label) for label in ascii_host.split("."))
