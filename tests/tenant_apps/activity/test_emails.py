"""E-mail about notifications through a real SMTP server (aiosmtpd): immediate mail, digests,
one-click unsubscribe (RFC 8058), nothing to deactivated people, never sent twice."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from tenant_apps.activity.emails import DeliveryFailed, digests_prepare, email_deliver
from tenant_apps.activity.models import EmailDelivery
from tenant_apps.activity.services import email_preferences, email_preferences_update
from tenant_apps.content.services import content_create_document, content_share
from tests.tenant_apps.activity.conftest import fan_out, person

pytestmark = pytest.mark.django_db


def _share(world, title: str, *people):
    with tenant_context(world.tenant_a):
        doc = content_create_document(actor=world.alice, title=title)
        content_share(actor=world.alice, item=doc, principals=list(people), role="viewer")
    fan_out(world)
    return doc


def _deliver_all(world) -> list[str]:
    with tenant_context(world.tenant_a):
        ids = EmailDelivery.objects.order_by("id").values_list("id", flat=True)
        return [email_deliver(i) for i in ids]


def test_an_immediate_mail_goes_to_the_recipient_alone_in_the_institutions_colours(
    world, smtp_server
):
    with tenant_context(world.tenant_a):
        email_preferences_update(actor=world.bob, changes={"shares": "immediate"})
    carol = person(world, "carol", "Carol Cole")  # daily by default: not in this mail
    _share(world, "Week 1 notes", world.bob, carol)
    assert _deliver_all(world) == ["sent"]
    assert smtp_server.recipients == [["bob@example.edu"]]
    mail = smtp_server.messages[0]
    assert mail["To"] == "bob@example.edu" and mail["Cc"] is None
    assert mail["Subject"] == "[Alpha University] Alice Archer shared Week 1 notes with you"
    unsubscribe = "".join(mail["List-Unsubscribe"].split())  # unfolded
    assert unsubscribe.startswith("<http://alpha.") and "/notifications/unsubscribe/" in unsubscribe
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in mail.walk()
        if not part.is_multipart()
    }
    assert "Alice Archer shared Week 1 notes with you" in parts["text/plain"]
    assert "#1f4e8c" in parts["text/html"] and "Alpha University" in parts["text/html"]
    assert "carol" not in str(mail).lower()


def test_a_retried_task_never_sends_twice(world, smtp_server):
    with tenant_context(world.tenant_a):
        email_preferences_update(actor=world.bob, changes={"shares": "immediate"})
    _share(world, "Once only", world.bob)
    assert _deliver_all(world) == ["sent"]
    assert _deliver_all(world) == ["nothing"]  # the task ran again (a redelivery)
    assert len(smtp_server.messages) == 1


def test_a_failed_send_is_retried_and_then_sent_once(world, smtp_server, settings):
    with tenant_context(world.tenant_a):
        email_preferences_update(actor=world.bob, changes={"shares": "immediate"})
    _share(world, "Flaky server", world.bob)
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there: the connection is refused
    with tenant_context(world.tenant_a):
        delivery = EmailDelivery.objects.get()
        with pytest.raises(DeliveryFailed):
            email_deliver(delivery.pk)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
    settings.EMAIL_PORT = working_port
    assert _deliver_all(world) == ["sent"]
    assert _deliver_all(world) == ["nothing"]
    assert len(smtp_server.messages) == 1


def test_a_daily_digest_gathers_a_day_in_one_mail_per_person(world, smtp_server):
    _share(world, "Monday notes", world.bob)
    _share(world, "Tuesday notes", world.bob, world.admin_a)
    with tenant_context(world.tenant_a):
        assert EmailDelivery.objects.count() == 0  # shares are daily by default
        first = digests_prepare(frequency="daily", today=date(2026, 11, 26))
        again = digests_prepare(frequency="daily", today=date(2026, 11, 26))
    assert len(first) == 2 and again == []  # one digest per person and day
    assert _deliver_all(world) == ["sent", "sent"]
    with tenant_context(world.tenant_a):
        assert digests_prepare(frequency="daily", today=date(2026, 11, 26)) == []
    assert sorted(r[0] for r in smtp_server.recipients) == [
        "alpha-admin@example.edu",
        "bob@example.edu",
    ]
    bobs = next(m for m in smtp_server.messages if m["To"] == "bob@example.edu")
    assert bobs["Subject"] == "[Alpha University] Your daily summary: 2 updates"
    text = next(p for p in bobs.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "Monday notes" in body and "Tuesday notes" in body


def test_one_click_unsubscribe_stops_the_category(world, smtp_server):
    with tenant_context(world.tenant_a):
        email_preferences_update(actor=world.bob, changes={"shares": "immediate"})
    _share(world, "Unwanted", world.bob)
    _deliver_all(world)
    url = "".join(smtp_server.messages[0]["List-Unsubscribe"].split()).strip("<>")
    path = url.split("localhost", 1)[1].split("/", 1)[1]
    client = Client(HTTP_HOST=world.host_a)  # a mail client: no cookies, no CSRF token
    confirm = client.get(f"/{path}")
    assert confirm.status_code == 200 and "Unsubscribe" in confirm.content.decode()
    with tenant_context(world.tenant_a):
        assert email_preferences(world.bob)["shares"] == "immediate"  # a GET changes nothing
    done = client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    with tenant_context(world.tenant_a):
        assert email_preferences(world.bob)["shares"] == "never"
    _share(world, "Still unwanted", world.bob)
    assert _deliver_all(world) == ["nothing"]
    assert len(smtp_server.messages) == 1
    # The token is worthless on another institution's host, and a forged one too.
    other = Client(HTTP_HOST=world.host_b)
    assert other.post(f"/{path}").status_code == 404
    assert client.post("/notifications/unsubscribe/forged").status_code == 404


def test_nothing_is_sent_to_deactivated_people(world, smtp_server):
    with tenant_context(world.tenant_a):
        email_preferences_update(actor=world.bob, changes={"shares": "immediate"})
    _share(world, "Too late", world.bob)
    with tenant_context(world.tenant_a):
        world.bob.is_active = False
        world.bob.save(update_fields=["is_active"])
    assert _deliver_all(world) == ["nothing"]
    with tenant_context(world.tenant_a):
        assert EmailDelivery.objects.get().status == "skipped"
        world.bob.is_active = True
        world.bob.save(update_fields=["is_active"])
    assert smtp_server.messages == []


def test_nothing_is_mailed_about_an_item_no_longer_visible(world, smtp_server):
    from tenant_apps.content.services import content_unshare

    with tenant_context(world.tenant_a):
        email_preferences_update(actor=world.bob, changes={"shares": "immediate"})
    doc = _share(world, "Withdrawn", world.bob)
    with tenant_context(world.tenant_a):
        content_unshare(actor=world.alice, item=doc, principal=world.bob)
    assert _deliver_all(world) == ["nothing"]
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("language", "subject", "footer"),
    [
        ("", "Alice Archer shared Week 1 notes with you", "Unsubscribe from these e-mails"),
        ("es", "Alice Archer ha compartido Week 1 notes contigo", "Darse de baja de estos correos"),
        ("de", "Alice Archer hat Week 1 notes mit Ihnen geteilt", "Diese E-Mails abbestellen"),
    ],
)
def test_a_mail_speaks_the_recipients_language_not_the_senders(
    world, smtp_server, language, subject, footer
):
    from django.utils import translation

    from tenant_apps.people.models import User

    with tenant_context(world.tenant_a):
        email_preferences_update(actor=world.bob, changes={"shares": "immediate"})
        User.objects.filter(pk=world.bob.pk).update(language=language)
        User.objects.filter(pk=world.alice.pk).update(language="de" if language != "de" else "es")
    with translation.override("de" if language != "de" else "es"):  # the sharer's request
        _share(world, "Week 1 notes", world.bob)
        assert _deliver_all(world) == ["sent"]
    mail = smtp_server.messages[0]
    assert mail["Subject"] == f"[Alpha University] {subject}"
    text = next(
        part.get_payload(decode=True).decode()
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )
    assert subject in text and footer in text
