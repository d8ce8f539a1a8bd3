"""Each sign-in is recorded (SessionRecord), so that a person can see and end their sessions."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def _record_session(sender, request, user, **kwargs) -> None:
    from tenant_apps.account.services import session_record

    session_record(request=request, user=user)
