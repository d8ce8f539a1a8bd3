"""Turning request bodies into validated data (a 400 problem naming each bad field).

Service errors need no helper: the problem handler (config.api.problems) translates
Django's ValidationError, Http404 and PermissionDenied, and the domain's errors, itself.
"""

from __future__ import annotations


def validated(serializer_class, data) -> dict:
    """``data`` checked by ``serializer_class``; a 400 problem naming each bad field otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
