"""The Django project. Its parent, platform/, is a source root (see shared/DESIGN.md)."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
