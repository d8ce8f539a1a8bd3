"""The institution's colour: its header text is always readable (WCAG AA, 4.5:1), and it
reaches pages as a stylesheet, never as an inline style."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from hypothesis import given
from hypothesis import strategies as st

from tenant_apps.institution.branding import (
    AA_NORMAL_TEXT,
    INK_DARK,
    WHITE,
    brand_ink,
    contrast_ratio,
    theme_css,
)
from tenant_apps.institution.services import institution_profile_set


def test_contrast_ratios_match_the_wcag_figures():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # The example: white on this yellow is unreadable (1.3:1).
    assert contrast_ratio("#f5e663", WHITE) < 1.4


def test_a_light_colour_gets_dark_text_and_a_dark_colour_white_text():
    assert brand_ink("#f5e663") == INK_DARK
    assert contrast_ratio("#f5e663", INK_DARK) >= AA_NORMAL_TEXT
    assert brand_ink("#1f4e8c") == WHITE


@given(st.integers(min_value=0, max_value=0xFFFFFF))
def test_every_colour_gets_text_of_at_least_aa_contrast(value):
    colour = f"#{value:06x}"
    assert contrast_ratio(colour, brand_ink(colour)) >= AA_NORMAL_TEXT


def test_a_malformed_colour_is_refused_by_the_maths_and_replaced_in_the_stylesheet():
    with pytest.raises(ValueError):
        contrast_ratio("yellow", WHITE)
    assert "--brand:#1f4e8c" in theme_css("</style><script>")


@pytest.mark.django_db
def test_pages_link_the_institutions_stylesheet_and_it_carries_readable_text(client_a, world):
    with schema_context(world.tenant_a.schema_name):
        institution_profile_set(name="Alpha University", primary_colour="#f5e663")
    connection.set_schema_to_public()
    html = client_a.get("/").content.decode()
    assert '<link rel="stylesheet" href="/theme.css?v=%23f5e663">' in html
    assert "<style" not in html and " style=" not in html
    css = client_a.get("/theme.css?v=%23f5e663")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    assert css.content.decode() == ":root{--brand:#f5e663;--brand-ink:#000000}\n"
    assert "immutable" in css["Cache-Control"]


@pytest.mark.django_db
def test_the_stylesheet_costs_one_query(client_a, django_assert_max_num_queries):
    client_a.get("/theme.css")  # routing cache warm
    with django_assert_max_num_queries(1):
        assert client_a.get("/theme.css").status_code == 200
