"""Link previews: OpenGraph/oEmbed read through the outbound guard, size- and time-limited,
fetched in the background like a version's preview (attempts, failures, the sweep)."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_tenants.utils import schema_context
from PIL import Image

from tenant_apps.content.link_previews import LinkFetchFailed, link_facts_fetch, link_image_fetch
from tenant_apps.content.models import ContentItem, LinkPreview, Processing
from tenant_apps.content.services import (
    content_add_link,
    content_delete,
    content_purge,
    content_update,
)
from tenant_apps.content.tasks import ProcessingFailed, link_preview_process, link_previews_requeue
from tests.conftest import sign_in
from tests.tenant_apps.content.conftest import png_bytes

pytestmark = pytest.mark.django_db

OG_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Plain title</title>
<meta property="og:title" content="Cell biology &amp; you">
<meta property="og:description" content="  An introduction
   to cells. ">
<meta property="og:site_name" content="Biology Hub">
<meta property="og:image" content="/picture.png">
</head><body><meta property="og:title" content="Not this one"></body></html>"""
OEMBED_PAGE = """<html><head><title>Video page</title>
<link rel="alternate" type="application/json+oembed" href="/oembed.json">
</head><body></body></html>"""
OEMBED = (
    b'{"type": "video", "title": "A lecture on enzymes", "provider_name": "Tube",'
    b' "thumbnail_url": "/picture.png"}'
)
PLAIN_PAGE = """<html><head><title>Only a title</title>
<meta name="description" content="Described plainly"></head><body>x</body></html>"""


class _Site(BaseHTTPRequestHandler):
    routes: dict = {}
    hits: list = []

    def do_GET(self):
        self.hits.append(self.path)
        route = self.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, content_type, body, delay = route
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if callable(body):
            self.end_headers()
            with contextlib.suppress(OSError):
                body(self.wfile)
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if delay:
            time.sleep(delay)
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    """A web site on loopback (OUTBOUND_ALLOWED_NETWORKS allows it in the tests)."""
    picture = png_bytes(size=(1200, 630))
    routes = {
        "/og": (200, "text/html; charset=utf-8", OG_PAGE.encode(), 0),
        "/oembed": (200, "text/html", OEMBED_PAGE.encode(), 0),
        "/oembed.json": (200, "application/json", OEMBED, 0),
        "/plain": (200, "text/html", PLAIN_PAGE.encode(), 0),
        "/picture.png": (200, "image/png", picture, 0),
        "/pdf": (200, "application/pdf", b"%PDF-1.4 not html", 0),
        "/gone": (500, "text/html", b"oops", 0),
        "/not-an-image": (200, "image/png", b"this is no png", 0),
    }

    class Handler(_Site):
        pass

    Handler.routes = routes
    Handler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield base, routes, Handler.hits
    finally:
        server.shutdown()
        server.server_close()


def test_opengraph_tags_of_the_head_are_read(site):
    base, _routes, _hits = site
    facts = link_facts_fetch(f"{base}/og")
    assert facts.title == "Cell biology & you"
    assert facts.description == "An introduction to cells."
    assert facts.site_name == "Biology Hub"
    assert facts.image_url == f"{base}/picture.png"  # made absolute


def test_oembed_fills_in_what_the_page_lacks(site):
    base, _routes, _hits = site
    facts = link_facts_fetch(f"{base}/oembed")
    assert facts.title == "A lecture on enzymes"
    assert facts.site_name == "Tube"
    assert facts.image_url == f"{base}/picture.png"


def test_a_page_without_opengraph_gives_its_title_and_description(site):
    base, _routes, _hits = site
    facts = link_facts_fetch(f"{base}/plain")
    assert (facts.title, facts.description, facts.image_url) == (
        "Only a title",
        "Described plainly",
        "",
    )


def test_a_page_that_is_no_html_gives_nothing(site):
    base, _routes, _hits = site
    assert link_facts_fetch(f"{base}/pdf").is_empty


def test_an_error_status_fails_the_fetch(site):
    base, _routes, _hits = site
    with pytest.raises(LinkFetchFailed, match="500"):
        link_facts_fetch(f"{base}/gone")


def test_only_the_first_bytes_of_a_huge_page_are_read(site, settings):
    base, routes, _hits = site
    settings.CONTENT_LINK_PREVIEW_MAX_BYTES = 4096
    sent = []

    def endless(out):
        out.write(b"<html><head><title>Huge</title>")
        for _ in range(10_000):  # 10 MB of head, never the end of it
            out.write(b"<!--" + b"x" * 1000 + b"-->")
            sent.append(1)

    routes["/huge"] = (200, "text/html", endless, 0)
    started = time.monotonic()
    assert link_facts_fetch(f"{base}/huge").title == "Huge"
    assert time.monotonic() - started < 5


def test_a_slow_page_is_given_up_on_after_the_time_limit(site, settings):
    base, routes, _hits = site
    settings.CONTENT_LINK_PREVIEW_SECONDS = 0.5
    routes["/slow"] = (200, "text/html", OG_PAGE.encode(), 3)
    started = time.monotonic()
    with pytest.raises(LinkFetchFailed):
        link_facts_fetch(f"{base}/slow")
    assert time.monotonic() - started < 2.5


def test_the_outbound_guard_refuses_internal_addresses(site, settings):
    base, _routes, hits = site
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # as in production: loopback is refused
    with pytest.raises(LinkFetchFailed, match="Refused"):
        link_facts_fetch(f"{base}/og")
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "file:///etc/passwd",
    ):
        with pytest.raises(LinkFetchFailed):
            link_facts_fetch(url)
    assert hits == []


def test_images_are_thumbnailed_and_bad_or_huge_ones_dropped(site, settings):
    base, _routes, _hits = site
    with Image.open(io.BytesIO(link_image_fetch(f"{base}/picture.png"))) as image:
        assert image.format == "PNG" and max(image.size) <= 600
    assert link_image_fetch(f"{base}/not-an-image") is None
    assert link_image_fetch(f"{base}/missing.png") is None
    settings.CONTENT_LINK_PREVIEW_IMAGE_MAX_BYTES = 100
    assert link_image_fetch(f"{base}/picture.png") is None


# --- links in the library ---------------------------------------------------------------
@pytest.fixture
def link(world, site):
    """A link item pointing at the loopback site.

    The product refuses to save links to internal addresses (a browser follows them), so
    the item is added with a public address and then pointed at the test site: the
    fetch, which honours OUTBOUND_ALLOWED_NETWORKS, is what is under test.
    """
    base, _routes, _hits = site

    def make(path: str = "/og", visibility: str = "private"):
        with schema_context(world.tenant_a.schema_name):
            item = content_add_link(
                actor=world.alice, url="https://example.org/page", visibility=visibility
            )
            ContentItem.objects.filter(pk=item.pk).update(url=f"{base}{path}")
            LinkPreview.objects.filter(pk=item.pk).update(url=f"{base}{path}")
            return ContentItem.objects.get(pk=item.pk)

    return make


def _process(world, item) -> LinkPreview:
    with schema_context(world.tenant_a.schema_name):
        link_preview_process(item_id=item.pk)
        return LinkPreview.objects.get(pk=item.pk)


def test_adding_a_link_queues_its_preview(world):
    with schema_context(world.tenant_a.schema_name):
        item = content_add_link(actor=world.alice, url="https://example.org/a")
        preview = LinkPreview.objects.get(pk=item.pk)
    assert (preview.status, preview.url) == (Processing.PENDING, "https://example.org/a")


def test_a_link_preview_is_stored_and_served_through_the_permission_rule(
    world, link, client_a, client_b, bearer
):
    item = link()
    done = _process(world, item)
    assert done.status == Processing.DONE and done.image_blob_id
    alice = bearer(world.alice, world.tenant_a)
    body = client_a.get(f"/api/v1/content/{item.public_id}", **alice).json()
    assert body["preview"]["title"] == "Cell biology & you"
    assert body["preview"]["site_name"] == "Biology Hub"
    image = client_a.get(f"/api/v1/content/{item.public_id}/link-image", **alice)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    bob = bearer(world.bob, world.tenant_a)
    charlie = bearer(world.charlie, world.tenant_b)
    assert client_a.get(f"/api/v1/content/{item.public_id}/link-image", **bob).status_code == 404
    answer = client_b.get(f"/api/v1/content/{item.public_id}/link-image", **charlie)
    assert answer.status_code == 404
    sign_in(client_b, world.charlie, world.tenant_b)
    assert client_b.get(f"/content/{item.public_id}/link-image").status_code == 404
    sign_in(client_a, world.alice, world.tenant_a)
    page = client_a.get(f"/content/{item.public_id}").content.decode()
    assert 'id="link-preview-title">Cell biology &amp; you<' in page
    assert f"/content/{item.public_id}/link-image" in page


def test_a_failing_page_is_retried_then_recorded_as_failed(world, link, settings):
    settings.CONTENT_PROCESSING_ATTEMPTS = 2
    item = link("/gone")
    with pytest.raises(ProcessingFailed):
        _process(world, item)
    with schema_context(world.tenant_a.schema_name):
        waiting = LinkPreview.objects.get(pk=item.pk)
    assert waiting.status == Processing.PENDING and "500" in waiting.error
    with pytest.raises(ProcessingFailed):
        _process(world, item)
    with schema_context(world.tenant_a.schema_name):
        assert LinkPreview.objects.get(pk=item.pk).status == Processing.FAILED


def test_the_sweep_queues_pending_link_previews_again(world, link):
    from datetime import timedelta

    item = link()
    with schema_context(world.tenant_a.schema_name):
        assert link_previews_requeue(older_than=timedelta(0)) >= 1
        assert link_previews_requeue(older_than=timedelta(hours=1)) == 0
    assert _process(world, item).status == Processing.DONE


def test_changing_the_address_fetches_the_preview_again_and_drops_the_old_image(world, link):
    from tenant_apps.blobs.models import Blob

    item = link()
    done = _process(world, item)
    with schema_context(world.tenant_a.schema_name):
        content_update(actor=world.alice, item=item, url="https://example.org/other")
        again = LinkPreview.objects.get(pk=item.pk)
        assert again.status == Processing.PENDING and again.image_blob_id is None
        assert again.url == "https://example.org/other" and again.title == ""
        assert Blob.objects.get(pk=done.image_blob_id).refs == 0


def test_deleting_a_link_releases_its_image(world, link):
    from tenant_apps.blobs.models import Blob

    item = link()
    done = _process(world, item)
    with schema_context(world.tenant_a.schema_name):
        content_delete(actor=world.alice, item=item)
        assert Blob.objects.get(pk=done.image_blob_id).refs == 1  # in the trash, restorable
        content_purge(item=item)
        assert Blob.objects.get(pk=done.image_blob_id).refs == 0


def test_the_library_lists_links_with_their_previews_in_bounded_queries(
    world, link, client_a, bearer, django_assert_max_num_queries
):
    alice = bearer(world.alice, world.tenant_a)
    for _ in range(3):
        _process(world, link())
    with django_assert_max_num_queries(12):
        few = client_a.get("/api/v1/content/?limit=100", **alice).json()["results"]
    for _ in range(6):
        _process(world, link())
    with django_assert_max_num_queries(12):
        more = client_a.get("/api/v1/content/?limit=100", **alice).json()["results"]
    assert len(more) == len(few) + 6
    assert all(row["preview"]["title"] for row in more if row["kind"] == "link")
