"""Turning request bodies into validated data, and service errors into API errors.

Every API module used to carry its own copy of these two; the problem+json handler
(config.api.problems) renders what they raise.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions


def validated(serializer_class, data) -> dict:
    """``data`` checked by ``serializer_class``; a 400 problem naming each bad field otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def as_api_error(error: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's (by field when the service named fields)."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})
