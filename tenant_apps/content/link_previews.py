"""What a link's page says about itself: title, description, site name and image.

Read from the page's OpenGraph tags (``og:title``, ``og:description``, ``og:site_name``,
``og:image``), else its oEmbed document (``<link rel="alternate"
type="application/json+oembed">``), else its ``<title>`` and ``<meta name="description">``.

Every request goes through the outbound guard (``config.outbound.guarded_session``:
loopback, private and metadata addresses are refused, redirects included), is
time-limited (CONTENT_LINK_PREVIEW_SECONDS for the whole fetch, not per read) and
size-limited (CONTENT_LINK_PREVIEW_MAX_BYTES of the page, only its ``<head>`` is
parsed; CONTENT_LINK_PREVIEW_IMAGE_MAX_BYTES of the image, which is then decoded by
Pillow and stored as a PNG thumbnail, never served as fetched).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from config.outbound import guarded_session

MAX_REDIRECTS = 5
USER_AGENT = "OAE-LinkPreview/1.0 (+https://www.apereo.org/projects/oae)"
HTML_TYPES = ("text/html", "application/xhtml+xml")


class LinkFetchFailed(Exception):
    """The page could not be read (refused, too slow, an error status); retried."""


@dataclass
class LinkFacts:
    title: str = ""
    description: str = ""
    site_name: str = ""
    image_url: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.title or self.description or self.image_url)


class _Stop(Exception):
    pass


class _HeadParser(HTMLParser):
    """The head's meta, link and title elements; stops at the body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.oembed = ""
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "body":
            raise _Stop
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and key not in self.meta and values.get("content"):
                self.meta[key] = values["content"].strip()
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            if "alternate" in rels and values.get("type", "").lower() == "application/json+oembed":
                self.oembed = self.oembed or values.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            raise _Stop

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self.title) < 1000:
            self.title += data


def _read(url: str, *, limit: int, deadline: float, accept: str) -> tuple[bytes, str, str, str]:
    """At most ``limit`` bytes of ``url`` (the body's start: enough for a head), its
    media type, its final address and its text encoding; LinkFetchFailed on refusal,
    an error status or a timeout."""
    session = guarded_session()
    session.max_redirects = MAX_REDIRECTS
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise LinkFetchFailed("The page took too long to answer.")
    try:
        with session.get(
            url,
            stream=True,
            timeout=(remaining, remaining),
            headers={"User-Agent": USER_AGENT, "Accept": accept},
        ) as response:
            if response.status_code >= 400:
                raise LinkFetchFailed(f"The page answered {response.status_code}.")
            media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(16384):
                chunks.append(chunk)
                size += len(chunk)
                if size >= limit:
                    break
                if time.monotonic() > deadline:
                    raise LinkFetchFailed("The page took too long to send.")
            declared = "charset" in response.headers.get("Content-Type", "").lower()
            encoding = response.encoding if declared else "utf-8"
            body = b"".join(chunks)[:limit]
            return body, media_type, response.url or url, encoding or "utf-8"
    except LinkFetchFailed:
        raise
    except Exception as error:  # refused by the guard, DNS, TLS, timeouts, redirects...
        raise LinkFetchFailed(f"{type(error).__name__}: {error}"[:300]) from None


def _clip(text: str, length: int) -> str:
    return " ".join((text or "").split())[:length]


def _oembed(href: str, base: str, deadline: float) -> dict:
    try:
        body, _type, _url, _encoding = _read(
            urljoin(base, href),
            limit=settings.CONTENT_LINK_PREVIEW_MAX_BYTES,
            deadline=deadline,
            accept="application/json",
        )
        data = json.loads(body.decode("utf-8", "replace"))
    except (LinkFetchFailed, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def link_facts_fetch(url: str) -> LinkFacts:
    """Read what ``url``'s page says about itself (see the module's docstring).

    A page that is no HTML (a PDF, an image) gives empty facts. Raises LinkFetchFailed
    when the page cannot be read at all.
    """
    deadline = time.monotonic() + settings.CONTENT_LINK_PREVIEW_SECONDS
    body, media_type, final_url, encoding = _read(
        url,
        limit=settings.CONTENT_LINK_PREVIEW_MAX_BYTES,
        deadline=deadline,
        accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    )
    if media_type and media_type not in HTML_TYPES:
        return LinkFacts()
    try:
        text = body.decode(encoding, "replace")
    except LookupError:  # a charset Python does not know
        text = body.decode("utf-8", "replace")
    parser = _HeadParser()
    try:
        parser.feed(text)
        parser.close()
    except _Stop:
        pass
    meta = parser.meta
    facts = LinkFacts(
        title=meta.get("og:title") or meta.get("twitter:title", ""),
        description=meta.get("og:description")
        or meta.get("twitter:description")
        or meta.get("description", ""),
        site_name=meta.get("og:site_name", ""),
        image_url=meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image", ""),
    )
    if parser.oembed and not (facts.title and facts.image_url):
        data = _oembed(parser.oembed, final_url, deadline)
        facts.title = facts.title or str(data.get("title") or "")
        facts.site_name = facts.site_name or str(data.get("provider_name") or "")
        facts.image_url = facts.image_url or str(data.get("thumbnail_url") or "")
    facts.title = _clip(facts.title or parser.title, 300)
    facts.description = _clip(facts.description, 1000)
    facts.site_name = _clip(facts.site_name, 200)
    if facts.image_url:
        image_url = urljoin(final_url, facts.image_url.strip())
        facts.image_url = image_url if urlsplit(image_url).scheme in ("http", "https") else ""
    facts.image_url = facts.image_url[:2000]
    return facts


def link_image_fetch(url: str) -> bytes | None:
    """A PNG thumbnail (at most 600x600) of the image at ``url``; None when it is missing,
    too large or no image Pillow can read. Never raises for the image's sake."""
    from tenant_apps.content.processing import image_bytes_thumbnail

    deadline = time.monotonic() + settings.CONTENT_LINK_PREVIEW_SECONDS
    limit = settings.CONTENT_LINK_PREVIEW_IMAGE_MAX_BYTES
    try:
        body, _type, _url, _encoding = _read(
            url, limit=limit + 1, deadline=deadline, accept="image/*"
        )
    except LinkFetchFailed:
        return None
    if not body or len(body) > limit:
        return None
    try:
        return image_bytes_thumbnail(body)
    except Exception:  # not an image, a truncated one, a decompression bomb
        return None
