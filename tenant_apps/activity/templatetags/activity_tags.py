"""``{% activity_feed %}``: the signed-in person's feed on the dashboard (the home page)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("activity/_dashboard.html", takes_context=True)
def activity_feed(context) -> dict:
    request = context["request"]
    if not getattr(request.user, "is_authenticated", False):
        return {"show": False}
    from tenant_apps.activity.views import feed_context

    return {"show": True, **feed_context(request)}
