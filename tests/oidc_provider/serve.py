"""Run the test OpenID Connect provider: ``python -m tests.oidc_provider.serve PORT CONFIG``.

CONFIG is a JSON file: {"client_id", "client_secret", "redirect_uris": [...],
"people": [{"username", "password", "email", "name", "email_verified"}]}. The
database is created afresh, then the provider serves on 127.0.0.1:PORT until killed.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    port, config_path = int(sys.argv[1]), sys.argv[2]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    with open(config_path) as config_file:
        config = json.load(config_file)
    call_command("migrate", verbosity=0, interactive=False)
    for person in config["people"]:
        User.objects.create_user(
            person["username"],
            email=person["email"],
            password=person["password"],
            first_name=person["name"],
            last_name="" if person.get("email_verified", True) else "unverified",
        )
    Application.objects.create(
        name="OAE",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(config["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    print(f"test OpenID Connect provider on http://127.0.0.1:{port}", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
