from django.apps import AppConfig


class BlobsConfig(AppConfig):
    name = "tenant_apps.blobs"
    label = "blobs"
    verbose_name = "Blobs"
