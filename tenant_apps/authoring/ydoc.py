"""The document's Yjs structure and HTML, both ways.

The browser's editor (TipTap on ProseMirror, bound to Yjs by y-prosemirror) keeps the
document in the Yjs XML fragment ``FRAGMENT``: one element per ProseMirror node, named
after its type (``paragraph``, ``heading`` with ``level``, ``bulletList``, ``table``, ...),
with the text in XML text nodes whose formatting attributes are the marks (``bold``,
``link`` with ``href``, ...). ``fragment_html`` renders it as HTML (sanitised by the
caller); ``replace_with_html`` rewrites the fragment from HTML (a written or restored
revision), following the editor's schema so that every browser can load it.
"""

from __future__ import annotations

import html as htmllib
from html.parser import HTMLParser

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

FRAGMENT = "prosemirror"

# --- Yjs -> HTML ---------------------------------------------------------------
BLOCKS = {
    "paragraph": "p",
    "bulletList": "ul",
    "orderedList": "ol",
    "listItem": "li",
    "blockquote": "blockquote",
    "table": "table",
    "tableRow": "tr",
    "tableHeader": "th",
    "tableCell": "td",
}
MARKS = [  # outermost first, so that the same marks always nest alike
    ("link", "a"),
    ("bold", "strong"),
    ("italic", "em"),
    ("underline", "u"),
    ("strike", "s"),
    ("code", "code"),
]


def load(data: bytes | None, *updates: bytes) -> Doc:
    """A pycrdt document holding ``data`` (a Yjs update) and then ``updates``."""
    doc = Doc()
    doc.get(FRAGMENT, type=XmlFragment)
    for update in (data, *updates):
        if update:
            doc.apply_update(update)
    return doc


def fragment(doc: Doc) -> XmlFragment:
    return doc.get(FRAGMENT, type=XmlFragment)


def _attr(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return htmllib.escape(str(value), quote=True)


def _number(attrs: dict, key: str, default: int, low: int, high: int) -> int:
    try:
        value = int(float(attrs.get(key, default)))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def _text_html(node: XmlText) -> str:
    out = []
    for chunk, attrs in node.diff():
        if not isinstance(chunk, str):
            continue
        piece = htmllib.escape(chunk, quote=False)
        attrs = attrs or {}
        for name, tag in reversed(MARKS):
            if name not in attrs:
                continue
            if tag == "a":
                href = (attrs[name] or {}).get("href", "") if isinstance(attrs[name], dict) else ""
                piece = f'<a href="{_attr(href)}">{piece}</a>'
            else:
                piece = f"<{tag}>{piece}</{tag}>"
        out.append(piece)
    return "".join(out)


def _children_html(node) -> str:
    return "".join(_node_html(child) for child in node.children)


def _node_html(node) -> str:
    if isinstance(node, XmlText):
        return _text_html(node)
    if not isinstance(node, XmlElement):
        return ""
    tag = node.tag
    attrs = dict(node.attributes)
    if tag == "heading":
        level = _number(attrs, "level", 1, 1, 6)
        return f"<h{level}>{_children_html(node)}</h{level}>"
    if tag == "codeBlock":
        return f"<pre><code>{_children_html(node)}</code></pre>"
    if tag == "horizontalRule":
        return "<hr>"
    if tag == "hardBreak":
        return "<br>"
    if tag == "image":
        alt = f' alt="{_attr(attrs["alt"])}"' if attrs.get("alt") else ""
        return f'<img src="{_attr(attrs.get("src", ""))}"{alt}>'
    html_tag = BLOCKS.get(tag)
    if html_tag is None:  # unknown to the schema: keep the text, drop the element
        return _children_html(node)
    extra = ""
    if tag == "orderedList" and _number(attrs, "start", 1, 1, 999999) != 1:
        extra = f' start="{_number(attrs, "start", 1, 1, 999999)}"'
    if tag in ("tableCell", "tableHeader"):
        for key in ("colspan", "rowspan"):
            value = _number(attrs, key, 1, 1, 50)
            if value != 1:
                extra += f' {key}="{value}"'
    inner = _children_html(node)
    if tag == "table":
        inner = f"<tbody>{inner}</tbody>"
    return f"<{html_tag}{extra}>{inner}</{html_tag}>"


def fragment_html(doc: Doc) -> str:
    """The document as HTML (not yet sanitised: the caller runs it through nh3)."""
    return _children_html(fragment(doc))


# --- HTML -> Yjs ---------------------------------------------------------------
class _Node:
    __slots__ = ("attrs", "children", "tag", "text")

    def __init__(self, tag: str, attrs: dict | None = None, text: str = "") -> None:
        self.tag = tag
        self.attrs = attrs or {}
        self.children: list[_Node] = []
        self.text = text


VOID = {"br", "hr", "img"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(_Node("#text", text=data))


INLINE_MARKS = {
    "strong": "bold",
    "b": "bold",
    "em": "italic",
    "i": "italic",
    "u": "underline",
    "s": "strike",
    "del": "strike",
    "strike": "strike",
    "code": "code",
}
BLOCK_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "hr",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "img", "div",
}  # fmt: skip


class _Builder:
    """Writes a parsed HTML tree into a Yjs fragment following the editor's schema:
    block containers hold blocks (stray inline content is wrapped in a paragraph),
    paragraphs and headings hold text and hard breaks."""

    def blocks(self, parent, nodes: list[_Node]) -> None:
        run: list[_Node] = []

        def flush() -> None:
            if any(n.tag != "#text" or n.text.strip() for n in run):
                paragraph = parent.children.append(XmlElement("paragraph"))
                self.inline(paragraph, run, {})
            run.clear()

        for node in nodes:
            if node.tag in BLOCK_TAGS:
                flush()
                self.block(parent, node)
            else:
                run.append(node)
        flush()

    def block(self, parent, node: _Node) -> None:
        tag = node.tag
        if tag == "p" or tag == "div":
            if any(c.tag in BLOCK_TAGS for c in node.children):  # an image: lifted out
                self.blocks(parent, node.children)
                return
            self.inline(parent.children.append(XmlElement("paragraph")), node.children, {})
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            heading = parent.children.append(XmlElement("heading", {"level": int(tag[1])}))
            self.inline(heading, node.children, {})
        elif tag in ("ul", "ol"):
            attrs = {}
            if tag == "ol" and node.attrs.get("start", "").isdigit():
                attrs["start"] = int(node.attrs["start"])
            name = "bulletList" if tag == "ul" else "orderedList"
            listing = parent.children.append(XmlElement(name, attrs))
            items = [c for c in node.children if c.tag == "li"] or [_Node("li")]
            for item in items:
                self.container(listing, "listItem", item.children)
        elif tag == "li":
            listing = parent.children.append(XmlElement("bulletList"))
            self.container(listing, "listItem", node.children)
        elif tag == "blockquote":
            self.container(parent, "blockquote", node.children)
        elif tag == "pre":
            code = parent.children.append(XmlElement("codeBlock"))
            text = _plain(node)
            if text:
                code.children.append(XmlText()).insert(0, text)
        elif tag == "hr":
            parent.children.append(XmlElement("horizontalRule"))
        elif tag == "img":
            attrs = {"src": node.attrs.get("src", "")}
            if node.attrs.get("alt"):
                attrs["alt"] = node.attrs["alt"]
            parent.children.append(XmlElement("image", attrs))
        elif tag == "table":
            rows = _rows(node)
            if rows:
                table = parent.children.append(XmlElement("table"))
                for row in rows:
                    table_row = table.children.append(XmlElement("tableRow"))
                    cells = [c for c in row.children if c.tag in ("td", "th")] or [_Node("td")]
                    for cell in cells:
                        attrs = {
                            key: min(int(cell.attrs[key]), 50)
                            for key in ("colspan", "rowspan")
                            if cell.attrs.get(key, "").isdigit() and int(cell.attrs[key]) > 0
                        }
                        attrs = {"colspan": 1, "rowspan": 1, **attrs}
                        name = "tableHeader" if cell.tag == "th" else "tableCell"
                        self.container(table_row, name, cell.children, attrs)
        elif tag in ("thead", "tbody", "tfoot", "tr", "td", "th"):
            self.blocks(parent, node.children)

    def container(self, parent, name: str, children: list[_Node], attrs=None) -> None:
        element = parent.children.append(XmlElement(name, attrs or {}))
        self.blocks(element, children)
        if len(element.children) == 0:
            element.children.append(XmlElement("paragraph"))

    def inline(self, parent, nodes: list[_Node], marks: dict) -> None:
        for node in nodes:
            if node.tag == "#text":
                text = node.text
                if text:
                    self._text(parent, text, marks)
            elif node.tag == "br":
                parent.children.append(XmlElement("hardBreak"))
                self._last = None
            elif node.tag == "a":
                href = node.attrs.get("href", "")
                linked = {**marks, "link": {"href": href}} if href else marks
                self.inline(parent, node.children, linked)
            elif node.tag in INLINE_MARKS:
                self.inline(parent, node.children, {**marks, INLINE_MARKS[node.tag]: {}})
            else:  # span, sub, sup and the like: their text
                self.inline(parent, node.children, marks)

    def _text(self, parent, text: str, marks: dict) -> None:
        children = parent.children
        last = children[len(children) - 1] if len(children) else None
        if not isinstance(last, XmlText):
            last = children.append(XmlText())
        last.insert(len(last), text, dict(marks) if marks else None)


def _plain(node: _Node) -> str:
    if node.tag == "#text":
        return node.text
    if node.tag == "br":
        return "\n"
    return "".join(_plain(c) for c in node.children)


def _rows(table: _Node) -> list[_Node]:
    rows = []
    for child in table.children:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child.children if c.tag == "tr")
    return rows


def replace_with_html(doc: Doc, html: str) -> bytes:
    """Rewrite the document's fragment from ``html`` (sanitised); the Yjs update it took.

    Edits made concurrently elsewhere merge with it as with any other editor's.
    """
    parser = _TreeBuilder()
    parser.feed(html)
    parser.close()
    before = doc.get_state()
    root = fragment(doc)
    with doc.transaction():
        if len(root.children):
            del root.children[0 : len(root.children)]
        _Builder().blocks(root, parser.root.children)
    return doc.get_update(before)
