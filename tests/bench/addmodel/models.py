from django.db import models


class Note(models.Model):
    """A bench-only table (see apps.py)."""

    title = models.CharField(max_length=200)
    words = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created"], name="bench_addmodel_note_created")]

    def __str__(self) -> str:
        return self.title
