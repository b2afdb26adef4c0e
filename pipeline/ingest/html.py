"""HTML -> text with block structure kept (one paragraph per block element).

Uses selectolax (Lexbor), which repairs broken markup. Scripts, styles,
navigation, forms and elements that look like cookie banners are dropped.

Nesting deeper than :data:`MAX_DEPTH` elements (browsers stop at 512 as well) is
flattened before parsing: the tags beyond that depth are removed and their text
kept, because tree construction costs time that grows with the square of the
depth (100,000 nested ``<div>`` took 33 s). The text walk is iterative, so no
depth can exhaust the stack.
"""

from __future__ import annotations

import re
from typing import Optional

from selectolax.lexbor import LexborHTMLParser

DROP_TAGS = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "form",
    "iframe",
    "svg",
    "button",
    "select",
    "aside",
]
BANNER_RE = re.compile(r"cookie|consent|gdpr|banner|skip-?link|breadcrumb|share|social", re.I)
BLOCK = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "address",
    "br",
    "hr",
    "body",
    "html",
    "tbody",
    "thead",
}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


MAX_DEPTH = 512
# start tags that do not open a nesting level here: void elements, and elements whose
# end tag is optional (a new <p>, <li>, <td> … closes the previous one)
_FLAT = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
    "p",
    "li",
    "dt",
    "dd",
    "tr",
    "td",
    "th",
    "thead",
    "tbody",
    "tfoot",
    "option",
    "optgroup",
    "rt",
    "rp",
    "colgroup",
    "caption",
}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:\s[^<>]*)?(/?)>")


def flatten_deep(html: str, max_depth: int = MAX_DEPTH) -> str:
    """``html`` with the tags nested deeper than ``max_depth`` removed (their text is
    kept). One linear pass over the tags; unchanged when nothing is that deep."""
    if html.count("<") <= max_depth:
        return html
    depth = 0
    too_deep = False
    for m in _TAG.finditer(html):
        name = m.group(2).lower()
        if m.group(1):
            depth = max(0, depth - 1) if name not in _FLAT else depth
        elif name not in _FLAT and not m.group(3):
            depth += 1
            if depth > max_depth:
                too_deep = True
                break
    if not too_deep:
        return html
    parts: list[str] = []
    last = 0
    depth = 0
    skipped: dict[str, int] = {}
    for m in _TAG.finditer(html):
        name = m.group(2).lower()
        if name in _FLAT or m.group(3):
            continue
        drop = False
        if m.group(1):
            if skipped.get(name):
                skipped[name] -= 1
                drop = True
            else:
                depth = max(0, depth - 1)
        elif depth >= max_depth:
            skipped[name] = skipped.get(name, 0) + 1
            drop = True
        else:
            depth += 1
        if drop:
            parts.append(html[last : m.start()])
            parts.append(" ")
            last = m.end()
    parts.append(html[last:])
    return "".join(parts)


def html_to_text(html: str) -> tuple[str, Optional[str]]:
    tree = LexborHTMLParser(flatten_deep(html))
    title_node = tree.css_first("title")
    h1 = tree.css_first("h1")
    title = (h1.text(strip=True) if h1 else None) or (title_node.text(strip=True) if title_node else None)
    tree.strip_tags(DROP_TAGS)
    for node in tree.css("[class], [id], [role]"):
        attrs = " ".join(
            filter(None, [node.attributes.get("class"), node.attributes.get("id"), node.attributes.get("role")])
        )
        if BANNER_RE.search(attrs) and node.tag not in ("body", "html", "main"):
            node.decompose()
    root = tree.body or tree.root
    out: list[str] = []
    if root is not None:
        _walk(root, out)
    text = "".join(out)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip(), title or None


def _walk(root, out: list[str]) -> None:
    """Depth-first text of ``root`` with block breaks. Iterative (an explicit stack),
    so any nesting depth works in time and memory linear in the document."""
    stack: list[tuple] = [(root.iter(include_text=True), None)]
    while stack:
        children, open_tag = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if open_tag is not None:
                _close(open_tag, out)
            continue
        tag = child.tag
        if tag == "-text":
            out.append(_WS.sub(" ", child.text_content or ""))
            continue
        if tag in ("-comment", "!doctype"):
            continue
        if tag == "br":
            out.append("\n")
            continue
        if tag == "li":
            out.append("\n• ")
        elif tag in BLOCK and tag not in ("td", "th"):
            out.append("\n\n" if tag in HEADINGS or tag in ("p", "dl", "table", "section", "article") else "\n")
        stack.append((child.iter(include_text=True), tag))


_WS = re.compile(r"\s+")


def _close(tag: str, out: list[str]) -> None:
    if tag in ("td", "th"):
        out.append("\n")
    elif tag in BLOCK and tag != "li":
        if tag == "dt" and not _ends_with_colon(out):
            out.append(":")
        out.append("\n\n" if tag in HEADINGS or tag == "p" else "\n")


def _ends_with_colon(out: list[str]) -> bool:
    """Whether the text so far ends with ":" (ignoring trailing whitespace), looking
    back only as far as the last piece with text."""
    for piece in reversed(out):
        piece = piece.rstrip()
        if piece:
            return piece.endswith(":")
    return False
