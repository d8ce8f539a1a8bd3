"""CSRF secrets and masks from one read of the random source (config.csrf): the same
alphabet, length and uniform draw as Django's, and forms still protected end to end."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.middleware import csrf
from django.test import Client

from config.csrf import mask_cipher_secret, new_csrf_string
from tests.conftest import sign_in

TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_django_draws_its_secrets_and_masks_with_it():
    assert csrf._get_new_csrf_string is new_csrf_string
    assert csrf._mask_cipher_secret is mask_cipher_secret
    secret = csrf._add_new_csrf_cookie(type("Request", (), {"META": {}})())
    token = csrf._mask_cipher_secret(secret)
    assert len(secret) == csrf.CSRF_SECRET_LENGTH and len(token) == csrf.CSRF_TOKEN_LENGTH
    assert csrf._unmask_cipher_token(token) == secret  # Django's inverse of its cipher
    assert set(token) <= set(csrf.CSRF_ALLOWED_CHARS)
    assert len({csrf._mask_cipher_secret(secret) for _ in range(100)}) == 100  # new masks


def test_each_string_is_32_characters_of_the_alphabet_each_uniformly_likely():
    draws = [new_csrf_string() for _ in range(4000)]
    assert all(len(draw) == 32 and set(draw) <= set(csrf.CSRF_ALLOWED_CHARS) for draw in draws)
    assert len(set(draws)) == len(draws)
    counts = Counter("".join(draws))  # 128,000 characters: about 2,065 of each of 62
    assert set(counts) == set(csrf.CSRF_ALLOWED_CHARS)
    expected = 4000 * 32 / 62
    # Six standard deviations (about 45 each): a biased draw (byte % 62 over all 256
    # bytes makes the first 8 characters 1.2 times as likely) fails; a fair one does not.
    assert all(abs(count - expected) < 6 * expected**0.5 for count in counts.values())
    first, rest = csrf.CSRF_ALLOWED_CHARS[:8], csrf.CSRF_ALLOWED_CHARS[8:]
    assert abs(sum(counts[c] for c in first) / 8 - sum(counts[c] for c in rest) / 54) < 60


@pytest.mark.django_db
def test_a_form_s_token_is_accepted_and_a_forged_one_refused(world):
    alice = sign_in(
        Client(HTTP_HOST=world.host_a, enforce_csrf_checks=True), world.alice, world.tenant_a
    )
    page = alice.get("/people/")  # the header's sign-out form
    token = TOKEN_FIELD.findall(page.content.decode())[0]
    assert len(token) == csrf.CSRF_TOKEN_LENGTH
    forged = "a" * csrf.CSRF_TOKEN_LENGTH
    assert alice.post("/signout", {"csrfmiddlewaretoken": forged}).status_code == 403
    assert alice.get("/me/edit").status_code == 200  # still signed in
    assert alice.post("/signout", {"csrfmiddlewaretoken": token}).status_code == 302
    assert alice.get("/me/edit").status_code == 302  # signed out: to the sign-in page
