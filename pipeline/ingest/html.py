"""HTML -> text with block structure kept (one paragraph per block element).

Uses selectolax (Lexbor), which repairs broken markup. Scripts, styles,
navigation, forms and elements that look like cookie banners are dropped.
"""
from __future__ import annotations

import re
from typing import Optional

from selectolax.lexbor import LexborHTMLParser

DROP_TAGS = ["script", "style", "noscript", "template", "nav", "header", "footer", "form",
             "iframe", "svg", "button", "select", "aside"]
BANNER_RE = re.compile(r"cookie|consent|gdpr|banner|skip-?link|breadcrumb|share|social", re.I)
BLOCK = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
         "dl", "dt", "dd", "table", "tr", "blockquote", "pre", "figure", "figcaption", "address", "br",
         "hr", "body", "html", "tbody", "thead"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def html_to_text(html: str) -> tuple[str, Optional[str]]:
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    h1 = tree.css_first("h1")
    title = (h1.text(strip=True) if h1 else None) or (title_node.text(strip=True) if title_node else None)
    tree.strip_tags(DROP_TAGS)
    for node in tree.css("[class], [id], [role]"):
        attrs = " ".join(filter(None, [node.attributes.get("class"), node.attributes.get("id"),
                                         node.attributes.get("role")]))
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


def _walk(node, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            out.append(re.sub(r"\s+", " ", child.text_content or ""))
        elif tag in ("-comment", "!doctype"):
            continue
        elif tag == "br":
            out.append("\n")
        elif tag == "li":
            out.append("\n• ")
            _walk(child, out)
        elif tag in ("td", "th"):
            _walk(child, out)
            out.append("\n")
        elif tag in BLOCK:
            out.append("\n\n" if tag in HEADINGS or tag in ("p", "dl", "table", "section", "article") else "\n")
            _walk(child, out)
            if tag == "dt" and not "".join(out).rstrip().endswith(":"):
                out.append(":")
            out.append("\n\n" if tag in HEADINGS or tag == "p" else "\n")
        else:
            _walk(child, out)
