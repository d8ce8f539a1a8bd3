"""ASGI entry point of the live channel (``config.asgi:application``), served by uvicorn.

Only WebSockets under ``/ws/`` live here; every page and API request is served by
gunicorn. The ASGI process answers plain HTTP only for its load-balancer heartbeat
(``/__lbheartbeat__``) and with 404 otherwise.

Why uvicorn (not Daphne, not server-sent events): see the commit that says so and the
README's live-channel section.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from config.live import PersonConsumer, TenantSessionMiddleware  # noqa: E402

# Features add their routes here (co-editing: a document's channel).
websocket_urlpatterns = [
    path("ws/live", PersonConsumer.as_asgi()),
]


async def http_app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    ok = scope.get("path") == "/__lbheartbeat__"
    body = b"ok\n" if ok else b"Not found\n"
    await send(
        {
            "type": "http.response.start",
            "status": 200 if ok else 404,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": TenantSessionMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
