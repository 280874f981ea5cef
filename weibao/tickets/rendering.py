"""Markdown → safe HTML for the conversation, and @mentions."""

from __future__ import annotations

import re

import markdown
import nh3

_ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del", "img",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][A-Za-z0-9_.\-]{0,149})")


def render_markdown(source: str) -> str:
    html = markdown.markdown(source, extensions=["fenced_code", "tables", "nl2br", "sane_lists"], output_format="html")
    # nh3 (ammonia) drops scripts, event handlers and javascript: URLs whatever the Markdown let through.
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


def mentioned_usernames(source: str) -> list[str]:
    seen: dict[str, None] = {}
    for name in MENTION.findall(source):
        seen.setdefault(name.rstrip(".-"), None)
    return list(seen)
