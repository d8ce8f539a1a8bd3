"""The design system's small template helpers: the current nav item and avatars.

``{% load ui %}`` then ``<a href="/people/"{% current "/people/" %}>`` marks the link of the
section being viewed with aria-current="page"; ``{% avatar name picture_url "small" %}`` is
a picture, or the name's initials on a coloured disc when there is none.
``{% icon "folder" %}`` is an SVG icon of the sprite frontend/build/icons.svg (lucide icons
listed in frontend/src/icons.json), drawn in the text's colour; ``{% kind_icon item.kind %}``
is a content item's type icon. Icons are decorative (hidden from assistive technologies)
unless given a ``label``.

``{% rendered "institution/_nav_links.html" as nav %}`` renders a template once with the
page's context, for markup a page shows twice (the wide and the phone navigation);
``{% unbound_form form "content/_fields.html" %}`` is a form's fields, rendered once per
institution, language, form and initial values and then remembered (Django's widget
templates cost a few hundred microseconds a field, on every page that shows the form).

``{% remember a b ... %}...{% endremember %}`` is markup rendered once per institution
(schema), language, time zone, place in the template and values of ``a b ...``, then
remembered; the CSRF token of its forms is the request's own (put in at output). See
``remember``.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import hashlib
import secrets
import threading
import uuid
from collections import OrderedDict
from itertools import chain

from django import template
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.template.loader_tags import BlockNode
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.functional import LazyObject, Promise, empty
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString

register = template.Library()

# Constant markup, no input in it.
_CURRENT = SafeString(' aria-current="page"')
_NOTHING = SafeString("")

# Discs .disc-0 ... .disc-5 of frontend/src/oae.css: background and text pairs, each with a
# contrast of at least 4.5:1 (WCAG AA).
_DISCS = 6


@register.simple_tag(takes_context=True)
def current(context: template.Context, prefix: str, exact: bool = False) -> SafeString:
    """`` aria-current="page"`` when the request's path is ``prefix`` (or below it)."""
    request = context.get("request")
    path = getattr(request, "path", None)
    if path is None:
        return _NOTHING
    matched = path == prefix if exact or prefix == "/" else path.startswith(prefix)
    return _CURRENT if matched else _NOTHING


@register.filter
def path_section(path: str) -> str:
    """The part of ``path`` that ``{% current %}`` decides on for a one-segment prefix
    (``"/people/"``, ``"/world"``, ``"/"``): up to and with the second slash, so
    ``"/content/abc"`` -> ``"/content/"``. A remembered navigation keys on it, not on the
    whole path (one entry per section, not per page)."""
    path = str(path or "")
    end = path.find("/", 1)
    return path if end < 0 else path[: end + 1]


def initials(name: str) -> str:
    """Up to two letters: the first of the first and of the last word."""
    words = [word for word in (name or "").split() if word[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:1].upper()
    return (words[0][:1] + words[-1][:1]).upper()


@register.simple_tag
def avatar(name: str, picture: str | None = None, size: str = "", alt: str = "") -> SafeString:
    """An avatar: the picture, or the initials. Decorative (empty ``alt``) where the name is
    shown beside it, as everywhere but a profile's own header."""
    # The markup depends on nothing but the arguments (their text, and whether each is
    # already safe markup): remembered, as a directory page draws 50 of them.
    return _avatar(
        *((f"{value or ''}", isinstance(value, SafeData)) for value in (name, picture, size, alt))
    )


@functools.lru_cache(maxsize=4096)
def _avatar(*arguments: tuple[str, bool]) -> SafeString:
    name, picture, size, alt = (SafeString(text) if safe else text for text, safe in arguments)
    classes = f"avatar {size}".strip()
    if picture:
        return format_html(
            '<img class="{}" src="{}" alt="{}" loading="lazy">', classes, picture, alt
        )
    digest = hashlib.sha256((name or "").encode()).digest()[0]
    return format_html(
        '<span class="{} disc-{}" aria-hidden="true">{}</span>',
        classes,
        digest % _DISCS,
        initials(name),
    )


# One directory card (the whitespace is the loop's it replaced in people/directory.html).
_CARD = '\n        <li>{}<a href="{}">{}</a>\n          {}</li>\n      '
_DEPARTMENT = '<span class="muted">{}</span>'


@register.simple_tag
def people_cards(people: list[dict]) -> SafeString:
    """The directory's cards (``{% people_cards people %}``): the avatar, the linked name and
    the department of each person (a dict: ``display_name``, ``url``, ``picture``,
    ``department``), byte for byte what the template loop wrote, escaped the same way, at a
    fraction of its cost (about a dozen template nodes a card, 50 cards a page)."""
    cards = []
    for person in people:
        name = person.get("display_name", "")
        department = person.get("department")
        cards.append(
            format_html(
                _CARD,
                avatar(name, person.get("picture")),
                person.get("url", ""),
                name,
                format_html(_DEPARTMENT, department) if department else _NOTHING,
            )
        )
    return SafeString("".join(cards))


# A content item's kind -> its icon in the sprite (frontend/src/icons.json lists them).
KIND_ICONS = {"file": "file", "document": "file-text", "link": "link", "folder": "folder"}


@functools.cache
def _sprite() -> str:
    # The static files' manifest is read once per process; the sprite's address with it.
    return static("frontend/icons.svg")


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """An icon of the sprite: decorative (aria-hidden) without ``label``, else an image
    named ``label`` for assistive technologies."""
    href = f"{_sprite()}#{name}"
    if label:
        return format_html(
            '<svg class="icon" role="img" aria-label="{}"><use href="{}"></use></svg>',
            label,
            href,
        )
    return format_html(
        '<svg class="icon" aria-hidden="true" focusable="false"><use href="{}"></use></svg>',
        href,
    )


@register.simple_tag
def kind_icon(kind: str) -> SafeString:
    """A content item's type icon (decorative: the title or the type is written beside it)."""
    return icon(KIND_ICONS.get(kind, "file"))


@register.simple_tag(takes_context=True)
def rendered(context: template.Context, template_name: str) -> SafeString:
    """``template_name`` rendered with the page's context (as ``{% include %}`` does), for
    ``{% rendered "..." as name %}`` then ``{{ name }}`` wherever the same markup repeats."""
    included = context.template.engine.get_template(template_name)
    with context.render_context.push_state(included):
        return SafeString(included.render(context))


# (schema, language, template, form class, prefix, initial values) -> the fields' HTML.
_FORMS_KEPT = 1_000
_forms: OrderedDict[tuple, SafeString] = OrderedDict()
_forms_lock = threading.Lock()


class UnboundForm:
    """An unbound form not built yet: ``{% unbound_form %}`` builds it (``form_class(initial=
    initial)``) only when its fields are not remembered. Building a form deep-copies its
    fields (about 0.1 ms a form); a page that shows four forms pays it on every request."""

    is_bound = False
    auto_id = "id_%s"  # a form's default

    def __init__(self, form_class: type, initial: dict | None = None) -> None:
        self.form_class = form_class
        self.initial = dict(initial or {})
        self.prefix = form_class.prefix

    def build(self):
        return self.form_class(initial=self.initial or None)


@register.simple_tag
def unbound_form(form, template_name: str) -> SafeString:
    """The fields of an unbound ``form`` (rendered by ``template_name`` with ``form``),
    remembered by institution (schema), language, form class, prefix and initial values.

    Only for forms whose HTML depends on nothing else: fields and choices fixed by the
    class (none read from the database or the request). A bound form (errors, submitted
    values) is rendered every time."""
    if form is None:
        return _NOTHING
    if form.is_bound:
        return SafeString(render_to_string(template_name, {"form": form}))
    form_class = form.form_class if isinstance(form, UnboundForm) else type(form)
    key = (
        getattr(connection, "schema_name", ""),
        translation.get_language(),
        template_name,
        f"{form_class.__module__}.{form_class.__qualname__}",
        form.prefix,
        form.auto_id,
        tuple(sorted((name, str(value)) for name, value in form.initial.items())),
    )
    with _forms_lock:
        html = _forms.get(key)
        if html is not None:
            _forms.move_to_end(key)
            return html
    if isinstance(form, UnboundForm):
        form = form.build()
    html = SafeString(render_to_string(template_name, {"form": form}))
    with _forms_lock:
        _forms[key] = html
        while len(_forms) > _FORMS_KEPT:
            _forms.popitem(last=False)
    return html


# --- {% remember %}: fragments rendered once per their inputs ---------------------------

# (schema, language, time zone, template, position, key values) -> the fragment, split where
# the CSRF token goes (a tuple of one text when it holds no form).
_FRAGMENTS_KEPT = 4_000
# A process keeps at most this many characters of remembered markup (the keys, which hold
# the same values, are about as large again), and never a fragment longer than the second
# bound (an item with hundreds of long comments): those render every time. Without a size
# bound 4,000 entries could hold gigabytes.
_FRAGMENTS_CHARS_KEPT = 8_000_000
_FRAGMENT_MAX_CHARS = 64_000
_fragments: OrderedDict[tuple, tuple[str, ...]] = OrderedDict()
_fragments_chars = 0
_fragments_lock = threading.Lock()
# Stands for the request's CSRF token while a fragment renders: letters, digits and dashes
# only, so escaping leaves it as it is; random per process, so no page text can forge it.
_TOKEN_MARK = f"oae-csrf-mark-{secrets.token_hex(12)}"
_SIMPLE = (
    str,
    int,
    float,
    bool,
    type(None),
    decimal.Decimal,
    uuid.UUID,
    datetime.date,
    datetime.time,
)


# Values a key holds as they are (with their types).
_PLAIN = frozenset({str, int, float, bool, type(None)})


class Unkeyable(TypeError):
    """A value ``{% remember %}`` cannot key on (a model, a form, a queryset...)."""


def _frozen(value):
    """``value`` as a hashable key that tells apart everything that renders differently:
    its type (a safe and an unsafe string, ``0`` and ``"0"``), its value (an aware
    datetime's offset too), dicts and lists entry by entry. A plain string is itself (no
    other key is a string); everything else is a tuple led by its type."""
    kind = type(value)
    if kind is str:
        return value
    if kind is dict:
        keys, values = tuple(value), tuple(value.values())
        key_types, types = tuple(map(type, keys)), tuple(map(type, values))
        if _PLAIN.issuperset(types) and _PLAIN.issuperset(key_types):
            # Plain entries (a directory card): as they are, with their types (1 == True).
            return (dict, keys, key_types, values, types)
        return (dict, tuple(map(_frozen, keys)), tuple(map(_frozen, values)))
    if kind is list or kind is tuple:
        types = tuple(map(type, value))
        if _PLAIN.issuperset(types):
            return (kind, tuple(value), types)
        if value and set(types) == {dict}:
            # Rows (dicts with the same keys, plain values: a page of a list): flattened.
            shapes = set(map(tuple, value))
            if len(shapes) == 1:
                (keys,) = shapes
                values = tuple(chain.from_iterable(map(dict.values, value)))
                value_types = tuple(map(type, values))
                if _PLAIN.issuperset(value_types) and _PLAIN.issuperset(map(type, keys)):
                    return (kind, dict, keys, tuple(map(type, keys)), values, value_types)
        return (kind, tuple(map(_frozen, value)))
    if kind is datetime.datetime:
        return (kind, value.isoformat())
    if isinstance(value, LazyObject):
        # The value, never the lazy object (its closure holds the request).
        if value._wrapped is empty:
            value._setup()
        return _frozen(value._wrapped)
    if isinstance(value, Promise):
        return (Promise, str(value))
    if isinstance(value, datetime.datetime):
        return (kind, value.isoformat())
    if isinstance(value, _SIMPLE):
        return (kind, value)
    if isinstance(value, dict):
        return (kind, tuple(map(_frozen, value)), tuple(map(_frozen, value.values())))
    if isinstance(value, (list, tuple)):
        return (kind, tuple(map(_frozen, value)))
    raise Unkeyable(f"{{% remember %}} cannot key on a {kind.__name__}")


def _size(parts: tuple[str, ...]) -> int:
    return sum(map(len, parts))


def _keep(key: tuple, parts: tuple[str, ...]) -> None:
    """Remember ``parts`` under ``key`` unless too long; forget the least recently used
    entries while more than ``_FRAGMENTS_KEPT`` or ``_FRAGMENTS_CHARS_KEPT`` are kept."""
    global _fragments_chars
    size = _size(parts)
    if size > _FRAGMENT_MAX_CHARS:
        return
    with _fragments_lock:
        previous = _fragments.pop(key, None)
        if previous is not None:
            _fragments_chars -= _size(previous)
        _fragments[key] = parts
        _fragments_chars += size
        while len(_fragments) > _FRAGMENTS_KEPT or _fragments_chars > _FRAGMENTS_CHARS_KEPT:
            _fragments_chars -= _size(_fragments.popitem(last=False)[1])


class RememberNode(template.Node):
    def __init__(self, nodelist: template.NodeList, keys: list, place: str) -> None:
        self.nodelist = nodelist
        self.keys = keys
        self.place = place
        # A {% block %} inside is filled by whichever page template extends this one: the
        # page's template (the one being rendered) is then an input of the markup too.
        self.has_blocks = bool(nodelist.get_nodes_by_type(BlockNode))

    def _render_marked(self, context: template.Context) -> tuple[str, ...]:
        # Variables the fragment sets ({% translate ... as x %}) stay inside it: on a
        # remembered render they are never set, so they must not be seen after it either.
        with context.push(csrf_token=_TOKEN_MARK):
            return tuple(self.nodelist.render(context).split(_TOKEN_MARK))

    def render(self, context: template.Context) -> str:
        if not settings.FRAGMENTS_REMEMBERED:
            return self.nodelist.render(context)
        try:
            key = (
                getattr(connection, "schema_name", ""),
                translation.get_language(),
                timezone.get_current_timezone_name(),
                self.place,
                _page_template(context) if self.has_blocks else None,
                tuple(_frozen(expression.resolve(context)) for expression in self.keys),
            )
        except Unkeyable:
            if settings.FRAGMENTS_CHECKED:
                raise
            return self.nodelist.render(context)
        with _fragments_lock:
            parts = _fragments.get(key)
            if parts is not None:
                _fragments.move_to_end(key)
        if parts is None:
            parts = self._render_marked(context)
            _keep(key, parts)
        elif settings.FRAGMENTS_CHECKED:
            fresh = self._render_marked(context)
            if fresh != parts:
                raise AssertionError(
                    f"{{% remember %}} at {self.place}: the remembered markup differs from a "
                    f"fresh render with the same key - an input is missing from the key.\n"
                    f"remembered: {parts!r}\nfresh: {fresh!r}"
                )
        if len(parts) == 1:
            return parts[0]
        token = context.get("csrf_token")
        if not token or str(token) == "NOTPROVIDED":
            # No token to put in (a misconfigured context): what {% csrf_token %} would do.
            return self.nodelist.render(context)
        return str(token).join(parts)


@register.tag
def remember(parser: template.base.Parser, token: template.base.Token) -> RememberNode:
    """``{% remember a b ... %}...{% endremember %}``: the enclosed markup, rendered once per
    institution (schema), language, time zone, place in the template and values of the
    expressions ``a b ...`` (strings, numbers, dates, None, and dicts and lists of them),
    then remembered (LRU, ``_FRAGMENTS_KEPT`` entries per process).

    The key must name EVERY input of the markup besides those four: whatever it reads that
    is not a key is taken from the first render and shown to everyone with the same key.
    Its forms' ``{% csrf_token %}`` is the request's own (put in at output). Variables it
    sets (``{% translate ... as x %}``) are not seen after it. Tests run with
    ``FRAGMENTS_CHECKED``: every remembered render is compared with a fresh one (a missing
    input fails the test that shows it), and a key that cannot be keyed on raises. A key
    holds the values themselves (a comment's text, a name), so a change makes a new key:
    nothing to forget, and the old entry ages out."""
    bits = token.split_contents()[1:]
    nodelist = parser.parse(("endremember",))
    parser.delete_first_token()
    origin = getattr(parser, "origin", None)
    name = getattr(origin, "template_name", None) or getattr(origin, "name", "?")
    place = f"{name}:{token.lineno}:{token.position}"
    return RememberNode(nodelist, [parser.compile_filter(bit) for bit in bits], place)


def _page_template(context: template.Context) -> str:
    """The name of the template being rendered (the page, which may fill the blocks)."""
    page = getattr(context, "template", None)
    origin = getattr(page, "origin", None)
    return getattr(origin, "template_name", None) or getattr(origin, "name", None) or "?"


def fragments_clear() -> None:
    """Forget every remembered fragment (tests)."""
    global _fragments_chars
    with _fragments_lock:
        _fragments.clear()
        _fragments_chars = 0
