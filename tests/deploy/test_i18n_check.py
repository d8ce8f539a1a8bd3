"""The lint check that fails on a template's text not marked for translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "dev"))
import i18n_check  # noqa: E402


def _findings(tmp_path: Path, text: str, name: str = "page.html") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    return [found for _line, found in i18n_check.check(path)]


def test_every_template_of_the_product_is_marked():
    run = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "dev" / "i18n_check.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout


@pytest.mark.parametrize(
    "template",
    [
        "<p>Hello there</p>",
        '<img src="x.png" alt="A picture">',
        '<input placeholder="Search">',
        '<a href="#" aria-label="{{ n }} waiting">x</a>',
        "<p>{{ name|default:'Someone' }}</p>",
        '{% include "x.html" with label="Invite people" %}',
        "<p>{% if a %}Yes{% endif %}</p>",
        '<p>{% translate "A \\"quoted\\" word" %}</p>',
    ],
)
def test_it_finds_unmarked_text(tmp_path, template):
    assert _findings(tmp_path, "{% load i18n %}" + template)


@pytest.mark.parametrize(
    "template",
    [
        '<p>{% translate "Hello there" %}</p>',
        "<p>{% blocktranslate with n=x %}Hello {{ n }}{% endblocktranslate %}</p>",
        '<img src="x.png" alt="{% translate \'A picture\' %}">',
        "<p>{{ item.title }} · {{ size }}</p>",
        "<p>Open Academic Environment</p>",
        "<p>JPEG, PNG</p>",
        "<script>var x = 'text';</script><code>/api/v1/</code>",
        "{# a comment #}{% comment %}Some words{% endcomment %}",
        '<body class="{% block body_class %}console{% endblock %}">',
        '<details{% if x %} open{% endif %}><summary>{% translate "More" %}</summary></details>',
        "<p>Not shown</p>{# i18n: ignore #}",
    ],
)
def test_it_accepts_marked_text_and_names(tmp_path, template):
    assert _findings(tmp_path, "{% load i18n %}" + template) == []


def test_plain_text_emails_are_checked_line_by_line(tmp_path):
    found = _findings(
        tmp_path, '{% load i18n %}{% translate "Hello," %}\n\nClick here\n{{ link }}\n', "m.txt"
    )
    assert found == ["Click here"]
