"""Markdown to sanitized HTML: render with Python-Markdown, then clean with nh3's allow-list (Indico's way)."""

from __future__ import annotations

import html as html_lib
import re
import threading

import markdown as md
import nh3
from markdown.extensions.toc import slugify_unicode

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "s", "samp", "section", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

MARKDOWN_EXTENSIONS = ["tables", "footnotes", "toc", "admonition", "fenced_code", "sane_lists", "attr_list"]
EXTENSION_CONFIGS = {
    "toc": {"permalink": "#", "permalink_title": "", "toc_depth": "2-3", "slugify": slugify_unicode},
    "footnotes": {"BACKLINK_TITLE": ""},
}


def sanitize_html(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes; links get ``rel=noopener noreferrer``."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_local = threading.local()


def _converter() -> md.Markdown:
    """One converter per thread, reset between documents: building one (extensions, patterns) costs more than
    converting a question's stem, and exam starts render dozens of them."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(extensions=MARKDOWN_EXTENSIONS,
                                                   extension_configs=EXTENSION_CONFIGS, output_format="html")
    return converter.reset()


def render_markdown(text: str) -> str:
    """Render Markdown (tables, footnotes, anchors, admonitions, fenced code) to sanitized HTML."""
    text = text or ""
    if _is_plain(text):  # one paragraph of plain text, as most question stems are
        return f"<p>{html_lib.escape(text.strip(), quote=False)}</p>" if text.strip() else ""
    return sanitize_html(_converter().convert(text))


def render_markdown_with_toc(text: str) -> tuple[str, str]:
    """Like :func:`render_markdown` and also return the sanitized table of contents HTML."""
    converter = md.Markdown(extensions=MARKDOWN_EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                            output_format="html")
    html = converter.convert(text or "")
    return sanitize_html(html), sanitize_html(getattr(converter, "toc", ""))


def to_plain_text(html: str) -> str:
    """Text of sanitized HTML, whitespace folded: for search indexes and snippets."""
    html = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", html)  # the "#" permalinks of headings
    text = html_lib.unescape(nh3.clean(html, tags=set(), attributes={}))
    return re.sub(r"\s+", " ", text).strip()


def _is_plain(text: str) -> bool:
    """One line without any character Markdown or HTML gives a meaning to: escaping it is what rendering and
    sanitizing would give, without the cost (most question stems and answer options are such text)."""
    return bool(_PLAIN_FRAGMENT.fullmatch(text)) and not _BLOCK_START.match(text) and "  " not in text


_PLAIN_FRAGMENT = re.compile(r"[^\\`*_\[\]<>&#|~!:\t\n\r]*")
_BLOCK_START = re.compile(r"\s*(?:[-+=>]|\d+[.)])")


def render_inline_markdown(text: str) -> str:
    """Like :func:`render_markdown` for a one-line fragment (an option): without the wrapping paragraph."""
    text = text or ""
    if _is_plain(text):
        return html_lib.escape(text.strip(), quote=False)
    html = render_markdown(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html
