"""Fail on user-facing text in a template that is not marked for translation.

Run by ``make lint`` (and so ``make test``)::

    python deploy/dev/i18n_check.py [template ...]

Without arguments it checks every template of the product (``platform/templates``,
``tenant_apps/*/templates``, ``shared_apps/*/templates``). A finding is a text node with
letters, a user-facing attribute (``alt``, ``title``, ``placeholder``, ``aria-label``, ...)
with letters, or a string literal with letters in a ``{{ ...|default:"..." }}`` or handed
to an include (``label="..."``), outside
``{% translate %}``/``{% blocktranslate %}``. Words in ``ALLOWED`` (brand and format
names, which are the same in every language) do not count. ``<script>``, ``<style>``,
``<code>``, ``<pre>`` and ``{% block *_class %}`` (CSS classes) are not looked into; a
line holding ``i18n: ignore`` (in a ``{# #}`` comment) is skipped. Plain-text templates
(``.txt``: e-mails) are checked as text.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [
    ROOT / "platform" / "templates",
    *sorted(ROOT.glob("tenant_apps/*/templates")),
    *sorted(ROOT.glob("shared_apps/*/templates")),
]
# Names that read the same in every language: brands, formats, protocols, units.
ALLOWED = {
    "Open Academic Environment",
    "OAE",
    "Apereo",
    "OpenID Connect",
    "OpenID",
    "OIDC",
    "SAML",
    "LDAP",
    "API",
    "CSV",
    "JSON",
    "JPEG",
    "PNG",
    "GIF",
    "WebP",
    "PDF",
    "URL",
    "HTTP",
    "HTTPS",
    "MB",
    "GB",
    "KB",
    "UTC",
    "ID",
    "OK",
    "Markdown",
    "H1",  # heading levels on the editor's toolbar
    "H2",
    "H3",
    "x",
}
USER_FACING_ATTRIBUTES = {
    "alt",
    "title",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "label",
    "summary",
}
IGNORED_ELEMENTS = {"script", "style", "code", "pre", "kbd", "samp"}
LETTER = re.compile(r"[^\W\d_]")
TAG = re.compile(r"({%.*?%}|{{.*?}}|{#.*?#})", re.DOTALL)
DEFAULT_LITERAL = re.compile(r"""\|default(?:_if_none)?:(["'])(.*?)\1""")
# {% include "x.html" with label="Invite people" %}: text handed to another template.
INCLUDE_LITERAL = re.compile(r"""\b(?:label|help|title|placeholder|empty|text|alt)=(["'])(.*?)\1""")
PLACEHOLDER = "\x00"


def _has_words(text: str) -> bool:
    text = text.replace(PLACEHOLDER, " ")
    text = re.sub(r"&[a-zA-Z]+;|&#\w+;", " ", text)  # entities (&times;, &nbsp;)
    for name in sorted(ALLOWED, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text)
    return bool(LETTER.search(text))


def neutralised(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template with every template tag, variable, comment and translated block
    replaced by a placeholder (newlines kept, so line numbers hold), and the findings
    inside template tags themselves (untranslated ``default:"..."`` literals)."""
    out: list[str] = []
    findings: list[tuple[int, str]] = []
    skip_until: str | None = None
    position = 0
    line = 1
    for match in TAG.finditer(source):
        text = source[position : match.start()]
        out.append(PLACEHOLDER * bool(text.strip()) if skip_until else text)
        if skip_until:
            out.append("\n" * text.count("\n"))
        line += text.count("\n")
        token = match.group(0)
        inner = token[2:-2].strip()
        word = inner.split(None, 1)[0] if inner else ""
        if token.startswith("{%"):
            if skip_until and word == skip_until:
                skip_until = None
            elif word in ("blocktranslate", "blocktrans"):
                skip_until = "end" + word
            elif word == "comment":
                skip_until = "endcomment"
            elif word == "block" and inner.split()[1:2] and inner.split()[1].endswith("class"):
                skip_until = "endblock"  # {% block body_class %}: CSS class names
        if token.startswith("{{") or token.startswith("{%"):
            if word in ("translate", "trans") and ('\\"' in token or "\\'" in token):
                # makemessages cuts the message at an escaped quote: it never matches.
                findings.append((line, "escaped quote in {% translate %}: use the other quote"))
            literals = list(DEFAULT_LITERAL.finditer(token))
            if word == "include":
                literals += INCLUDE_LITERAL.finditer(token)
            for literal in literals:
                if _has_words(literal.group(2)):
                    findings.append((line, literal.group(2)))
        out.append(f" {PLACEHOLDER} " + "\n" * token.count("\n"))
        line += token.count("\n")
        position = match.end()
    out.append(source[position:])
    return "".join(out), findings


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.findings: list[tuple[int, str]] = []
        self.ignored_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in IGNORED_ELEMENTS:
            self.ignored_depth += 1
        for name, value in attrs:
            if name in USER_FACING_ATTRIBUTES and value and _has_words(value):
                self.findings.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        in_ignored = tag in IGNORED_ELEMENTS
        self.handle_starttag(tag, attrs)
        if in_ignored:
            self.ignored_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in IGNORED_ELEMENTS and self.ignored_depth:
            self.ignored_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.ignored_depth and _has_words(data):
            self.findings.append((self.getpos()[0], " ".join(data.split())))


def check(path: Path) -> list[tuple[int, str]]:
    """The unmarked strings of one template, as (line, text)."""
    source = path.read_text()
    text, findings = neutralised(source)
    if path.suffix == ".txt":
        for number, content in enumerate(text.splitlines(), 1):
            if _has_words(content):
                findings.append((number, content.strip()))
    else:
        scanner = _Scanner()
        scanner.feed(text)
        scanner.close()
        findings.extend(scanner.findings)
    ignored = {n for n, content in enumerate(source.splitlines(), 1) if "i18n: ignore" in content}
    return sorted((n, f) for n, f in findings if n not in ignored)


def templates() -> list[Path]:
    return sorted(
        path
        for directory in TEMPLATE_DIRS
        for path in directory.rglob("*")
        if path.suffix in (".html", ".txt")
    )


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or templates()
    failures = 0
    for path in paths:
        for line, text in check(path):
            failures += 1
            shown = path.relative_to(ROOT) if path.is_absolute() else path
            shown_text = " ".join(text.replace(PLACEHOLDER, " {...} ").split())
            print(f"{shown}:{line}: not marked for translation: {shown_text[:100]}")
    if failures:
        print(
            f"{failures} unmarked string(s): wrap them in {{% translate %}} or "
            "{% blocktranslate %} (README: Languages and time zones)."
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
