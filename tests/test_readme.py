"""The README is the manual: it shows the two commands and every environment variable."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "platform" / "config" / "settings.py", ROOT / "deploy" / "gunicorn.conf.py"]


def _variables() -> set[str]:
    found: set[str] = set()
    pattern = re.compile(r'(?:env_\w+|environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"')
    for source in SOURCES:
        found |= set(pattern.findall(source.read_text()))
    return found


def test_the_readme_lists_every_environment_variable():
    readme = (ROOT / "README.md").read_text()
    variables = _variables()
    assert len(variables) > 20  # the pattern still finds them
    missing = sorted(name for name in variables if f"`{name}`" not in readme)
    assert missing == []


def test_the_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_ci_runs_make_test_and_nothing_else():
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[-1] == "make test"
