"""Fetching http(s) URLs without becoming a tool against the machine we run on.

A URL given to `rasid run` (or found in a feed someday) may point anywhere. The guards:
- only http and https;
- the host is resolved here and every address checked: loopback, private, link-local, multicast,
  reserved, unspecified and other non-global addresses are refused unless `allow_private`;
- the request is sent to the checked address (Host header and TLS SNI keep the name), so a DNS
  answer that changes between check and connect cannot redirect us inside;
- redirects are followed by hand, each hop checked again, at most `http_max_redirects`;
- connect/read timeouts, and the body streamed and cut off past `max_bytes` (after decompression).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ..settings import Settings
from .common import Refused

Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """All addresses a host name resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_problem(address: str) -> str | None:
    """Why an address must not be fetched from, or None if it is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # Most specific first: 127.0.0.1 and 169.254.x are "private" too, but the narrower name helps more.
    for name in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    if not ip.is_global:
        return "non-global"
    return None


@dataclass(slots=True)
class Fetched:
    """A response body with what dispatch needs to know about it."""

    url: str  # the final URL after redirects
    content_type: str | None  # the media type, lower case, without parameters
    charset: str | None
    body: bytes


class Fetcher:
    """GETs one URL under the guards above; raises Refused naming the reason on any failure."""

    def __init__(self, settings: Settings, client: httpx.Client, resolver: Resolver = resolve_host) -> None:
        self.settings = settings
        self.client = client
        self.resolver = resolver

    def fetch(self, url: str) -> Fetched:
        current = url
        for _hop in range(self.settings.http_max_redirects + 1):
            try:
                result = self._get(current)
            except httpx.TimeoutException:
                raise Refused(f"timed out after {self.settings.http_timeout:g}s") from None
            except httpx.HTTPError as exc:
                raise Refused(f"request failed: {type(exc).__name__}: {exc}") from None
            if isinstance(result, Fetched):
                return result
            current = urljoin(current, result)
        raise Refused(f"too many redirects (more than {self.settings.http_max_redirects})")

    def _target(self, url: str) -> tuple[httpx.URL, str, str]:
        """The URL to connect to (host replaced by a vetted address), the Host header, the host."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise Refused(f"unsupported URL scheme {parts.scheme!r} (only http and https)")
        host = parts.hostname
        if not host:
            raise Refused("URL has no host")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            raise Refused("URL has an invalid port") from None
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"cannot resolve host {host!r}: {exc}") from None
        if not addresses:
            raise Refused(f"cannot resolve host {host!r}")
        if not self.settings.allow_private:
            for address in addresses:
                problem = address_problem(address)
                if problem:
                    raise Refused(f"host {host!r} resolves to {problem} address {address}; refused (allow_private is off)")
        try:
            target = httpx.URL(url).copy_with(host=addresses[0])
        except (httpx.InvalidURL, ValueError) as exc:
            raise Refused(f"invalid URL: {exc}") from None
        host_header = parts.netloc.rpartition("@")[2]
        return target, host_header, host

    def _get(self, url: str) -> Fetched | str:
        """One request: a Fetched body, or the Location of a redirect to follow."""
        target, host_header, host = self._target(url)
        headers = {"Host": host_header, "User-Agent": self.settings.user_agent, "Accept": _ACCEPT}
        extensions: dict[str, str] = {}
        if target.scheme == "https":
            # TLS checks the certificate against the name, not the address we pinned. No keep-alive:
            # the pool keys connections by address, and another name must not reuse this one.
            extensions["sni_hostname"] = host
            headers["Connection"] = "close"
        cap = self.settings.max_bytes
        with self.client.stream("GET", target, headers=headers, extensions=extensions,
                                follow_redirects=False) as response:
            if response.is_redirect:
                location = response.headers.get("location")
                if not location:
                    raise Refused(f"HTTP {response.status_code} redirect without a Location")
                return location
            if response.status_code >= 400:
                raise Refused(f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            if not 200 <= response.status_code < 300:
                raise Refused(f"unexpected HTTP {response.status_code}")
            length = response.headers.get("content-length")
            if length and length.isdigit() and int(length) > cap:
                raise Refused(f"response is {int(length)} bytes, over the {cap}-byte cap (max_bytes)")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise Refused(f"response larger than the {cap}-byte cap (max_bytes); stopped reading")
                chunks.append(chunk)
            media = response.headers.get("content-type", "")
            mime, _, params = media.partition(";")
            return Fetched(url=url, content_type=mime.strip().lower() or None,
                           charset=_charset(params), body=b"".join(chunks))


_ACCEPT = ("text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, "
           "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.9, text/plain;q=0.8, */*;q=0.5")


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def make_client(settings: Settings) -> httpx.Client:
    """Our own client: no redirects, timeouts from settings, no proxies from the environment
    (a proxy would resolve names itself, past our address checks)."""
    return httpx.Client(timeout=httpx.Timeout(settings.http_timeout), follow_redirects=False, trust_env=False)
