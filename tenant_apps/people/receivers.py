"""Writes of users and tokens reach every process's caches (people.caches)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenant_apps.people.caches import token_changed, user_changed
from tenant_apps.people.models import AccessToken, User


@receiver(post_save, sender=User, dispatch_uid="people-user-saved")
@receiver(post_delete, sender=User, dispatch_uid="people-user-deleted")
def user_written(sender, instance: User, **kwargs) -> None:
    if instance.pk is not None:
        user_changed(instance.pk)


@receiver(post_save, sender=AccessToken, dispatch_uid="people-token-saved")
@receiver(post_delete, sender=AccessToken, dispatch_uid="people-token-deleted")
def token_written(sender, instance: AccessToken, **kwargs) -> None:
    token_changed(instance.key_hash)
