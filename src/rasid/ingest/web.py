"""Fetching http(s) URLs without becoming a tool against the machine we run on.

A URL given to `rasid run` (or found in a feed someday) may point anywhere. The guards:
- only http and https;
- the host is resolved here and every address checked: loopback, private, link-local, multicast,
  reserved, unspecified and other non-global addresses are refused unless `allow_private`;
- the request is sent to the checked address (Host header and TLS SNI keep the name), so a DNS
  answer that changes between check and connect cannot redirect us inside;
- redirects are followed by hand, each hop checked again, at most `http_max_redirects`;
- connect/read timeouts, and the body streamed and cut off past `max_bytes` (after decompression).

With `proxy_from_env` (the default) an http(s)_proxy from the environment is honoured (no_proxy
too): the request then goes to the proxy by name, since the proxy resolves it; the address checks
still run on what this machine resolves, when it can resolve the name at all.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
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
    status: int = 200  # 304 (with an empty body) when a conditional request found nothing new
    etag: str | None = None
    last_modified: str | None = None


class HTTPRefused(Refused):
    """A response with an error status (4xx, 5xx): `status` says which, for callers that care."""

    def __init__(self, reason: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After), if any


class Fetcher:
    """GETs one URL under the guards above; raises Refused naming the reason on any failure."""

    def __init__(self, settings: Settings, client: httpx.Client, resolver: Resolver = resolve_host) -> None:
        self.settings = settings
        self.client = client
        self.resolver = resolver

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Fetched:
        """GET `url`; `headers` are added to the request (If-None-Match, If-Modified-Since: a
        304 answer comes back as a Fetched with status 304 and no body)."""
        current = url
        for _hop in range(self.settings.http_max_redirects + 1):
            try:
                result = self._get(current, headers or {})
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
        proxied = self.settings.proxy_from_env and _proxied(parts.scheme.lower(), host)
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            if proxied:  # the proxy resolves the name; this machine may not be able to
                return httpx.URL(url), parts.netloc.rpartition("@")[2], host
            raise Refused(f"cannot resolve host {host!r}: {exc}") from None
        if not addresses:
            raise Refused(f"cannot resolve host {host!r}")
        if not self.settings.allow_private:
            for address in addresses:
                problem = address_problem(address)
                if problem:
                    raise Refused(
                        f"host {host!r} resolves to {problem} address {address}; refused (allow_private is off)"
                    )
        if proxied:  # sent to the proxy by name (it connects; pinning an address is its business)
            return httpx.URL(url), parts.netloc.rpartition("@")[2], host
        try:
            target = httpx.URL(url).copy_with(host=addresses[0])
        except (httpx.InvalidURL, ValueError) as exc:
            raise Refused(f"invalid URL: {exc}") from None
        host_header = parts.netloc.rpartition("@")[2]
        return target, host_header, host

    def _get(self, url: str, extra: Mapping[str, str]) -> Fetched | str:
        """One request: a Fetched body, or the Location of a redirect to follow."""
        target, host_header, host = self._target(url)
        headers = {**extra, "Host": host_header, "User-Agent": self.settings.user_agent, "Accept": _ACCEPT}
        extensions: dict[str, str] = {}
        if target.scheme == "https" and target.host != host:
            # TLS checks the certificate against the name, not the address we pinned. No keep-alive:
            # the pool keys connections by address, and another name must not reuse this one.
            extensions["sni_hostname"] = host
            headers["Connection"] = "close"
        cap = self.settings.max_bytes
        with self.client.stream(
            "GET", target, headers=headers, extensions=extensions, follow_redirects=False
        ) as response:
            validators = {
                "etag": response.headers.get("etag"),
                "last_modified": response.headers.get("last-modified"),
            }
            if response.status_code == 304:
                return Fetched(url=url, content_type=None, charset=None, body=b"", status=304, **validators)
            if response.is_redirect:
                location = response.headers.get("location")
                if not location:
                    raise Refused(f"HTTP {response.status_code} redirect without a Location")
                return location
            if response.status_code >= 400:
                raise HTTPRefused(
                    f"HTTP {response.status_code} {response.reason_phrase}".rstrip(),
                    response.status_code,
                    _retry_after(response.headers.get("retry-after")),
                )
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
            return Fetched(
                url=url,
                content_type=mime.strip().lower() or None,
                charset=_charset(params),
                body=b"".join(chunks),
                status=response.status_code,
                **validators,
            )


_ACCEPT = (
    "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.9, text/plain;q=0.8, */*;q=0.5"
)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _proxied(scheme: str, host: str) -> bool:
    """Whether the environment sends requests for this scheme and host through a proxy."""
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass_environment(host, proxies)  # type: ignore[attr-defined]  # CPython has it; typeshed does not


def make_client(settings: Settings) -> httpx.Client:
    """Our own client: no redirects, timeouts from settings; proxies from the environment when
    `proxy_from_env` (see the module docstring)."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.http_timeout),
        follow_redirects=False,
        trust_env=settings.proxy_from_env,
    )
